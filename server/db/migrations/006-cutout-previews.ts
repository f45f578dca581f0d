/**
 * What a cutout shows before it is confirmed: a downscaled, marked preview of each output
 * (docs/architecture.md §8; server/jobs/preview.ts). The full outputs are served only after the capture.
 */
export const cutoutPreviewsMigration = {
  version: 6,
  name: 'cutout previews',
  sql: `
    create table job_previews (
      job_id text not null references jobs(id),
      idx integer not null,
      role text not null,
      account_id text not null references accounts(id),
      sha256 text not null,
      width integer not null,
      height integer not null,
      bytes integer not null,
      primary key (job_id, idx)
    );
    create index job_previews_file on job_previews(account_id, sha256);
    create index jobs_hold on jobs(hold_id)
  `,
};
