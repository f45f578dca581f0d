/**
 * Studio runs on a team wallet (docs/architecture.md §8, §14): a job may belong to a team and
 * one of its projects; its hold then lives on the team's account (`wallet_account_id`), and its
 * files are the team's, readable by every current member.
 */
export const teamJobsMigration = {
  version: 17,
  name: 'team jobs',
  sql: `
    alter table jobs add column team_id text references teams(id);
    alter table jobs add column project_id text;
    alter table jobs add column wallet_account_id text references accounts(id);
    create index jobs_team on jobs(team_id, n) where team_id is not null;
    -- A team's files are found by their hash alone (any member may read them).
    create index job_outputs_sha on job_outputs(sha256);
    create index job_previews_sha on job_previews(sha256);
    create index uploads_sha on uploads(sha256)
  `,
};
