/**
 * Teams (docs/architecture.md §14): a team owns an account row (its wallet, a ledger chain like
 * any other, no sign-in: its email column holds `team:<id>`, which no sign-in accepts);
 * memberships with roles; invites stored by the SHA-256 of their token; projects; monthly
 * budgets per member and per project, with their usage kept per period in the same ledger write
 * as the entries that change it, under the team account's lock.
 */
export const teamsMigration = {
  version: 15,
  name: 'teams',
  sql: `
    create table teams (
      id text primary key,
      name text not null,
      account_id text not null unique references accounts(id),
      created_by text not null references accounts(id),
      created_at text not null
    );
    create table team_members (
      team_id text not null references teams(id),
      account_id text not null references accounts(id),
      role text not null,
      joined_at text not null,
      removed_at text,
      primary key (team_id, account_id)
    );
    create index team_members_account on team_members(account_id);
    create table team_invites (
      token_hash text primary key,
      team_id text not null references teams(id),
      email text not null,
      role text not null,
      invited_by text not null references accounts(id),
      created_at text not null,
      expires_at text not null,
      accepted_by text references accounts(id),
      accepted_at text
    );
    create index team_invites_team on team_invites(team_id);
    create table team_projects (
      team_id text not null references teams(id),
      id text not null,
      name text not null,
      created_at text not null,
      archived_at text,
      primary key (team_id, id)
    );
    create table team_budgets (
      team_id text not null references teams(id),
      scope text not null,
      subject_id text not null,
      monthly integer,
      updated_at text not null,
      primary key (team_id, scope, subject_id)
    );
    create table team_budget_usage (
      team_id text not null references teams(id),
      period text not null,
      scope text not null,
      subject_id text not null,
      used integer not null,
      primary key (team_id, period, scope, subject_id)
    );
    create table team_charges (
      team_id text not null references teams(id),
      ref_id text not null,
      member_id text not null,
      project_id text,
      period text not null,
      charged integer not null,
      open boolean not null,
      primary key (team_id, ref_id)
    );
    create index team_charges_open on team_charges(team_id) where open
  `,
};
