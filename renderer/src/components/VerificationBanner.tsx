import { useLedger } from '../app/context';

/** Shown whenever the stored or received ledger fails verification. */
export function VerificationBanner() {
  const v = useLedger((s) => s.verification);
  if (v.status !== 'failed') return null;
  return (
    <div className="banner banner-error" role="alert" data-testid="verification-banner">
      <strong>Your credit history could not be verified.</strong> {v.message}
      {v.seq !== null && ` (entry ${v.seq})`}. Balances after that point are not trusted until the
      app syncs a verified copy from the server.
    </div>
  );
}
