import { useState } from 'react';
import { useSession, useStores } from '../app/context';

export function SignIn() {
  const { session } = useStores();
  const error = useSession((s) => s.error);
  const busy = useSession((s) => s.busy);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [create, setCreate] = useState(true);
  return (
    <main className="signin">
      <form
        className="panel signin-card"
        onSubmit={(e) => {
          e.preventDefault();
          void session.getState().signIn(email, password, create);
        }}
      >
        <h1>Easel</h1>
        <p className="muted">
          {create ? 'Create your account — free daily credits included.' : 'Welcome back.'}
        </p>
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
            minLength={create ? 10 : 1}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {create ? 'Create account' : 'Sign in'}
        </button>
        <button type="button" className="link" onClick={() => setCreate(!create)}>
          {create ? 'I already have an account' : 'Create a new account'}
        </button>
      </form>
    </main>
  );
}
