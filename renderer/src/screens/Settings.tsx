import { useState } from 'react';
import { useLedger, useSession, useStores } from '../app/context';
import { DeviceHealthPanel } from '../components/DeviceHealthPanel';
import { credits, dateTime } from '../util/format';
import { messageOf } from '../util/errors';
import { EngineSettings } from '../components/EngineSettings';
import { AppearanceSettings } from '../components/AppearanceSettings';
import { SpendingLimitsSettings } from '../components/SpendingLimitsSettings';
import { AutoTopupSettings } from '../components/AutoTopupSettings';
import { AlertsSettings } from '../components/AlertsSettings';
import { TeamSettings } from '../components/team-settings';
import { PlanPanel } from '../components/PlanPanel';

export function Settings() {
  const stores = useStores();
  const session = useSession((s) => s.session);
  const settings = useSession((s) => s.settings);
  const error = useSession((s) => s.error);
  const allowance = useLedger((s) => s.allowance);
  const [server, setServer] = useState(settings?.serverUrl ?? '');
  const [amount, setAmount] = useState(settings?.allowanceAmount ?? 100);
  const [days, setDays] = useState(settings?.allowanceDays ?? 7);
  const [note, setNote] = useState<string | null>(null);
  const save = (patch: { serverUrl: string }): void =>
    void stores.session.getState().updateSettings(patch);
  const takeAllowance = async (): Promise<void> => {
    setNote(null);
    try {
      const wasOpen = allowance?.status === 'open';
      const taken = await stores.api.takeAllowance({ amount, days });
      await stores.ledger.getState().refreshAllowance();
      void stores.ledger.getState().sync();
      // The server cuts an allowance to what the spending limits leave (docs/architecture.md §2).
      setNote(
        !wasOpen && taken.amount < amount
          ? `Offline allowance reserved: ${credits(taken.amount)} credits, less than asked, to stay within your spending limits.`
          : 'Offline allowance reserved.',
      );
    } catch (e) {
      setNote(messageOf(e));
    }
  };
  const returnAllowance = async (): Promise<void> => {
    try {
      await stores.api.returnAllowance({});
      await stores.ledger.getState().refreshAllowance();
      void stores.ledger.getState().sync();
    } catch (e) {
      setNote(messageOf(e));
    }
  };
  return (
    <div className="screen settings">
      <h1>Settings</h1>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <DeviceHealthPanel />
      <section className="panel" aria-labelledby="server-title">
        <h2 id="server-title">Server</h2>
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            save({ serverUrl: server });
          }}
        >
          <label className="field grow">
            Server address
            <input type="url" value={server} onChange={(e) => setServer(e.target.value)} />
          </label>
          <button type="submit" className="secondary">
            Save
          </button>
        </form>
      </section>
      <AppearanceSettings />
      <EngineSettings />
      <section className="panel" aria-labelledby="account-title">
        <h2 id="account-title">Account and device</h2>
        <dl className="facts">
          <dt>Email</dt>
          <dd>{session?.email ?? '—'}</dd>
          <dt>Account</dt>
          <dd>{session?.accountId ?? '—'}</dd>
          <dt>This device</dt>
          <dd>{session?.deviceId ?? '—'}</dd>
        </dl>
        {session?.insecureStorage && (
          <p className="banner banner-warn">
            Your session is stored without a system keyring on this computer.
          </p>
        )}
        <button type="button" className="secondary" onClick={() => void stores.signOut()}>
          Sign out
        </button>
      </section>
      <PlanPanel />
      <SpendingLimitsSettings />
      <AutoTopupSettings />
      <AlertsSettings />
      <TeamSettings />
      <section className="panel" aria-labelledby="allowance-title">
        <h2 id="allowance-title">Offline allowance</h2>
        <p className="muted">
          Credits reserved on the server so this device can spend them without a connection.
        </p>
        {allowance && allowance.status === 'open' ? (
          <p data-testid="allowance-state">
            {credits(allowance.amount - allowance.spentOffline)} of {credits(allowance.amount)}{' '}
            left, until {dateTime(allowance.expiresAt)}
            {allowance.pendingVouchers > 0 && ` · ${allowance.pendingVouchers} waiting to settle`}
          </p>
        ) : (
          <p>No allowance is open.</p>
        )}
        {allowance?.rejected.map((r) => (
          <p className="error" key={r.counter}>
            Offline spend #{r.counter} was refused: {r.message}
          </p>
        ))}
        <div className="row">
          <label className="field">
            Amount
            <input
              type="number"
              min={1}
              value={amount}
              onChange={(e) => setAmount(Number(e.target.value) || 1)}
            />
          </label>
          <label className="field">
            Days
            <input
              type="number"
              min={1}
              max={30}
              value={days}
              onChange={(e) => setDays(Number(e.target.value) || 1)}
            />
          </label>
          <button type="button" className="primary" onClick={() => void takeAllowance()}>
            Take allowance
          </button>
          {allowance?.status === 'open' && (
            <button type="button" className="secondary" onClick={() => void returnAllowance()}>
              Return it
            </button>
          )}
        </div>
        {note && <p role="status">{note}</p>}
      </section>
    </div>
  );
}
