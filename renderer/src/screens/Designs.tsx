import { useState } from 'react';
import { shownBalance, spendable } from '../app/balance';
import { useCatalog, useLedger, useStores } from '../app/context';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { DesignCard } from '../components/DesignCard';
import { TeamProjectPicker } from '../components/TeamProjectPicker';
import { TeamRunBar, useTeamRunLimits } from '../components/TeamRunBar';
import type { DesignRow } from '../db/db';
import { designAsPng, designFile, designFileName, saveBlob } from '../util/design-file';
import { errorSentence } from '../util/errors';
import { useTeams } from '../stores/team-store';
import { creditsText } from '../util/format';

export function Designs(props: { onTopUp: () => void; onUseAsInput: () => void }) {
  const { api, db, catalog, jobs } = useStores();
  const designs = useCatalog((s) => s.designs);
  const outbox = useCatalog((s) => s.outbox);
  const redeeming = useCatalog((s) => s.redeeming);
  const message = useCatalog((s) => s.message);
  const failure = useCatalog((s) => s.error);
  const wallet = useLedger((s) => s.wallet);
  const personalAllowance = useLedger((s) => s.allowance);
  // With a team wallet chosen, designs are paid from its offline allowance (§14).
  const team = useTeams((s) => s.teams.find((t) => t.teamId === s.selected) ?? null);
  const teamWallet = useTeams((s) => s.wallet);
  const teamAllowance = useTeams((s) => s.allowance);
  const projectName = useTeams(
    (s) => s.detail?.projects.find((p) => p.projectId === s.projectId)?.name ?? null,
  );
  const allowance = team ? teamAllowance : personalAllowance;
  const offline = useLedger((s) => s.syncState?.status === 'offline');
  const [confirming, setConfirming] = useState<DesignRow | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const left =
    allowance && allowance.status === 'open' ? allowance.amount - allowance.spentOffline : null;
  // A stored snapshot still being checked never decides what can be afforded (§3).
  const checking = useLedger((s) => s.walletCheck === 'checking');
  // Online, a team wallet pays for the project within the budgets; offline, its allowance (§14).
  const teamLimits = useTeamRunLimits();
  const teamOnline = teamLimits
    ? Math.max(0, Math.min(teamLimits.available ?? 0, teamLimits.budgetLeft ?? Infinity))
    : 0;
  const canSpend = team
    ? offline
      ? Math.max(0, left ?? 0)
      : teamOnline
    : checking
      ? 0
      : offline
        ? Math.max(0, left ?? 0)
        : spendable(wallet);
  const balance = team ? (teamWallet?.balance ?? 0) : (shownBalance(wallet, allowance) ?? 0);
  const pending = new Set(outbox.map((o) => o.designId));

  const withFile = async (d: DesignRow, use: (file: Blob) => Promise<void>): Promise<void> => {
    setNote(null);
    try {
      await use(await designFile(api, db, d));
    } catch (error) {
      setNote(errorSentence(error));
    }
  };
  const download = (d: DesignRow): Promise<void> =>
    withFile(d, async (file) => saveBlob(file, designFileName(d, file.type)));
  const useAsInput = (d: DesignRow): Promise<void> =>
    withFile(d, async (file) => {
      await jobs.getState().upload(await designAsPng(file));
      props.onUseAsInput();
    });

  return (
    <div className="screen">
      <h1>Designs</h1>
      <p className="muted" data-testid="offline-left">
        {team
          ? left === null
            ? `No offline allowance on the ${team.name} team wallet: take one in Settings to redeem its designs offline.`
            : `${team.name} team allowance: ${creditsText(left)} left to spend offline.`
          : left === null
            ? 'No offline allowance: take one in Settings to redeem without a connection.'
            : `Offline allowance: ${creditsText(left)} left to spend offline.`}
      </p>
      {team && !offline && <TeamRunBar />}
      {team && offline && (
        <div className="team-run" role="group" aria-label="Team wallet" data-testid="design-team">
          <p className="team-run-wallet">
            Redeems from the <strong>{team.name}</strong> team allowance
          </p>
          <TeamProjectPicker testId="design-project" />
        </div>
      )}
      {message && (
        <p className="banner banner-info" role="status">
          {message}
        </p>
      )}
      {(note ?? failure) && (
        <p className="banner banner-alert" role="alert">
          {note ?? failure}
        </p>
      )}
      <ul className="cards">
        {designs.map((d) => (
          <DesignCard
            key={d.designId}
            design={d}
            busy={redeeming !== null}
            offline={offline}
            canSpend={canSpend}
            pending={pending.has(d.designId)}
            onRedeem={() => setConfirming(d)}
            onTopUp={props.onTopUp}
            onDownload={() => void download(d)}
            onUseAsInput={() => void useAsInput(d)}
          />
        ))}
      </ul>
      {confirming && (
        <ConfirmDialog
          title={`Redeem ${confirming.title}?`}
          confirmLabel={`Redeem for ${creditsText(confirming.credits)}`}
          busy={redeeming !== null}
          onCancel={() => setConfirming(null)}
          onConfirm={() => {
            const d = confirming;
            setConfirming(null);
            void catalog.getState().redeem(d.designId);
          }}
        >
          <dl className="facts" data-testid="redeem-summary">
            {team && (
              <>
                <dt>Project</dt>
                <dd data-testid="redeem-project">{projectName ?? 'No project'}</dd>
              </>
            )}
            <dt>Price</dt>
            <dd>{creditsText(confirming.credits)}</dd>
            <dt>Balance now</dt>
            <dd>{creditsText(balance)}</dd>
            <dt>Balance after</dt>
            <dd data-testid="balance-after">{creditsText(balance - confirming.credits)}</dd>
          </dl>
          {offline && (
            <p className="muted">
              You are offline: it is paid from this device&apos;s offline allowance and settles when
              you are back online.
            </p>
          )}
        </ConfirmDialog>
      )}
    </div>
  );
}
