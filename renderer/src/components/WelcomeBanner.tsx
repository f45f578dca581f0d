import { offerText } from '../app/offer-text';
import { useSession, useStores } from '../app/context';

/** Shown once, right after sign-up: what the new account got. */
export function WelcomeBanner() {
  const { session } = useStores();
  const welcome = useSession((s) => s.welcome);
  const offer = useSession((s) => s.offer);
  if (!welcome) return null;
  const grants = offer ? offerText(offer) : '';
  return (
    <div className="welcome" data-testid="welcome">
      <p role="status">
        <strong>Welcome to Easel.</strong>{' '}
        {grants ? `Your account has ${grants}` : 'Your account is ready.'} Describe an image in the
        Studio to make your first one.
      </p>
      <button
        type="button"
        className="secondary"
        onClick={() => session.getState().dismissWelcome()}
      >
        Dismiss
      </button>
    </div>
  );
}
