/**
 * Sign-in attempts keyed by email and by the address they came from, each with its own id so
 * an attempt is recorded before it is judged and removed when it succeeds (docs/architecture.md §2; see
 * server/auth/auth-service.ts). Attempts are short-lived, so the old rows are not carried over.
 */
export const signinAttemptsMigration = {
  version: 5,
  name: 'sign-in attempts by address',
  sql: `
    drop table signin_attempts;
    create table signin_attempts (
      id text primary key,
      email text not null,
      address text not null,
      at text not null
    );
    create index signin_attempts_email on signin_attempts(email, at);
    create index signin_attempts_at on signin_attempts(at);
  `,
};
