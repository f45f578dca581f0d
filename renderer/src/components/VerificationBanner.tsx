import { useLedger } from '../app/context';

/** Shown whenever the stored or received ledger, or the stored balance, fails verification. */
export function VerificationBanner() {
  const v = useLedger((s) => s.verification);
  const snapshot = useLedger((s) => s.snapshotProblem);
  const through = useLedger((s) => s.verifiedThrough);
  return (
    <>
      {v.status === 'failed' && (
        <div className="banner banner-error" role="alert" data-testid="verification-banner">
          <strong>Your credit history could not be verified.</strong> {v.message}
          {v.seq !== null && ` (entry ${v.seq})`}. The balance shown is the last verified one (entry{' '}
          {through}); the rest is fetched again from the server when it can be reached.
        </div>
      )}
      {snapshot && (
        <div className="banner banner-error" role="alert" data-testid="snapshot-banner">
          <strong>The saved balance did not match your verified history.</strong> {snapshot}. The
          verified balance is shown instead.
        </div>
      )}
    </>
  );
}
