import { useEffect, useState } from 'react';
import { PASSWORD_MIN } from '../../../shared/api/common';
import { offerText } from '../app/offer-text';
import { useSession, useStores } from '../app/context';
import { InviteWaitingNote } from '../components/team-invite-prompt';

/**
 * First run and sign-in. Sign-up states what the server grants (GET /v1/auth/offer) and the
 * password rule as you type; once anyone has signed in here, the form opens on "Sign in".
 */
export function SignIn() {
  const { session } = useStores();
  const error = useSession((s) => s.error);
  const busy = useSession((s) => s.busy);
  const offer = useSession((s) => s.offer);
  const returning = useSession((s) => s.settings?.returningUser ?? false);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [create, setCreate] = useState(!returning);
  useEffect(() => {
    void session.getState().loadOffer();
  }, [session]);
  const minLength = offer?.password.minLength ?? PASSWORD_MIN;
  const longEnough = password.length >= minLength;
  const grants = offer ? offerText(offer) : '';
  return (
    <main className="signin">
      <form
        className="panel signin-card"
        aria-labelledby="signin-title"
        onSubmit={(e) => {
          e.preventDefault();
          void session.getState().signIn(email, password, create);
        }}
      >
        <h1 id="signin-title">Easel</h1>
        <h2>{create ? 'Create your account' : 'Sign in'}</h2>
        {create ? (
          <p className="offer muted" data-testid="signup-offer">
            {grants ? `Free with a new account: ${grants}` : 'Create an account to start.'}
          </p>
        ) : (
          <p className="muted">Welcome back.</p>
        )}
        <InviteWaitingNote />
        <label className="field">
          Email
          <input
            type="email"
            autoComplete="email"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </label>
        <label className="field">
          Password
          <input
            type="password"
            autoComplete={create ? 'new-password' : 'current-password'}
            required
            minLength={create ? minLength : 1}
            aria-describedby={create ? 'password-rules' : undefined}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          {create && (
            <ul className="rules" id="password-rules" data-testid="password-rules">
              <li className={longEnough ? 'rule-met' : 'rule-unmet'}>
                {longEnough ? '✓ ' : ''}At least {minLength} characters
                {password.length > 0 && !longEnough ? ` (${minLength - password.length} more)` : ''}
                .
              </li>
            </ul>
          )}
        </label>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy || (create && !longEnough)}>
          {create ? 'Create account' : 'Sign in'}
        </button>
        <button type="button" className="link" onClick={() => setCreate(!create)}>
          {create ? 'I already have an account' : 'Create a new account'}
        </button>
      </form>
    </main>
  );
}
