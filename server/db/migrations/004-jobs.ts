/** Tool jobs (issue 5): uploads, jobs, results. Owned by server/jobs. */
export const jobsMigration = {
  version: 4,
  name: 'jobs',
  sql: `create table jobs_placeholder (id integer primary key)`,
};
