/** Tool jobs (docs/architecture.md §8): uploads, jobs, results. Owned by server/jobs. */
export const jobsMigration = {
  version: 4,
  name: 'jobs',
  sql: `
    create table uploads (
      id text primary key,
      account_id text not null references accounts(id),
      sha256 text not null,
      format text not null,
      width integer not null,
      height integer not null,
      bytes integer not null,
      created_at text not null,
      unique (account_id, sha256)
    );
    create table jobs (
      n serial unique,
      id text primary key,
      account_id text not null references accounts(id),
      operation_id text not null,
      request_hash text not null,
      tool text not null,
      params text not null,
      quote_request text not null,
      credits integer not null,
      price_book_version integer not null,
      refund_credits integer,
      provider_id text,
      provider_label text,
      hold_id text,
      hold_expires_at text,
      state text not null,
      progress double precision not null default 0,
      charged integer,
      error_code text,
      error_message text,
      notice text,
      runner_id text,
      heartbeat_at text,
      created_at text not null,
      updated_at text not null,
      started_at text,
      finished_at text,
      unique (account_id, operation_id)
    );
    create index jobs_account on jobs(account_id, n);
    create index jobs_state on jobs(state, hold_expires_at);
    create table job_outputs (
      job_id text not null references jobs(id),
      idx integer not null,
      role text not null,
      account_id text not null references accounts(id),
      sha256 text not null,
      format text not null,
      width integer not null,
      height integer not null,
      bytes integer not null,
      item_id text,
      refund_credits integer,
      primary key (job_id, idx)
    );
    create index job_outputs_file on job_outputs(account_id, sha256)
  `,
};
