import { useState } from 'react';
import { useSession, useStores } from '../app/context';
import { DeviceHealthPanel } from '../components/DeviceHealthPanel';
import { EngineSettings } from '../components/EngineSettings';
import { AppearanceSettings } from '../components/AppearanceSettings';
import { SpendingLimitsSettings } from '../components/SpendingLimitsSettings';
import { AutoTopupSettings } from '../components/AutoTopupSettings';
import { AlertsSettings } from '../components/AlertsSettings';
import { TeamSettings } from '../components/team-settings';
import { PlanPanel } from '../components/PlanPanel';
import { OfflineAllowancePanel } from '../components/offline-allowance-panel';

export function Settings() {
  const stores = useStores();
  const session = useSession((s) => s.session);
  const settings = useSession((s) => s.settings);
  const error = useSession((s) => s.error);
  const [server, setServer] = useState(settings?.serverUrl ?? '');
  const save = (patch: { serverUrl: string }): void =>
    void stores.session.getState().updateSettings(patch);
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
      <OfflineAllowancePanel />
    </div>
  );
}
