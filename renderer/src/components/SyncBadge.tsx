import { useLedger } from '../app/context';
import { dateTime } from '../util/format';

export function SyncBadge() {
  const state = useLedger((s) => s.syncState);
  const syncing = useLedger((s) => s.syncing);
  const error = useLedger((s) => s.syncError);
  const failed = useLedger((s) => s.verification.status === 'failed');
  let text = 'Up to date';
  let tone = 'ok';
  if (state?.status === 'offline') {
    tone = 'offline';
    text = state.offlineSince ? `Offline since ${dateTime(state.offlineSince)}` : 'Offline';
    if (failed) text += ' · showing the last verified state';
  } else if (syncing || state?.status === 'syncing') {
    tone = 'busy';
    const p = state?.progress;
    text = p && p.total > 0 ? `Syncing ${Math.round((p.done / p.total) * 100)}%` : 'Syncing…';
  } else if (failed) {
    // Never "Up to date" while the stored history failed verification (§4).
    tone = 'error';
    text = 'Not verified: re-syncing from the server';
  } else if (error || state?.status === 'error') {
    tone = 'error';
    text = `Sync problem: ${error ?? state?.error?.message ?? 'unknown'}`;
  }
  const pending = state?.pendingMutations ?? 0;
  return (
    <div className={`sync-badge sync-${tone}`} role="status" data-testid="sync-state">
      <span className="dot" aria-hidden="true" />
      {text}
      {pending > 0 && <span className="pending"> · {pending} waiting to send</span>}
      {state?.status === 'syncing' && state.progress && (
        <progress
          max={state.progress.total}
          value={state.progress.done}
          aria-label="Sync progress"
        />
      )}
    </div>
  );
}
