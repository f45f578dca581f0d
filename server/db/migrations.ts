import type { Database } from './database';
import { purchasesMigration } from './migrations/003-purchases';
import { jobsMigration } from './migrations/004-jobs';
import { signinAttemptsMigration } from './migrations/005-signin-attempts';
import { cutoutPreviewsMigration } from './migrations/006-cutout-previews';
import { ledgerSnapshotsMigration } from './migrations/007-ledger-snapshots';
import { spendingLimitsMigration } from './migrations/008-spending-limits';
import { promoCodesMigration } from './migrations/009-promo-codes';
import { snapshotHistoryMigration } from './migrations/010-snapshot-history';
import { ledgerAppendMigration } from './migrations/011-ledger-append';
import { planPeriodsMigration } from './migrations/012-plan-periods';
import { receiptsAutoTopupMigration } from './migrations/013-receipts-auto-topup';
import { teamsMigration } from './migrations/015-teams';
import { ledgerAppendMonthlyMigration } from './migrations/016-ledger-append-monthly';
import { teamJobsMigration } from './migrations/017-team-jobs';
import { teamBookMigration } from './migrations/018-team-book';

/**
 * Versioned migrations, one schema for PostgreSQL and PGlite. Append only: a shipped migration
 * is never edited. They run on start inside one transaction each, under an advisory lock so
 * several API instances starting at once migrate exactly once.
 */
const migrations: Array<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'accounts, sessions, devices, ledger',
    sql: `
      create table accounts (
        id text primary key,
        email text not null unique,
        password_hash text not null,
        plan text not null default 'free',
        created_at text not null,
        head_seq integer not null default 0,
        head_hash text not null,
        last_daily_date text
      );
      create table sessions (
        token_hash text primary key,
        account_id text not null references accounts(id),
        created_at text not null,
        expires_at text not null,
        revoked_at text
      );
      create index sessions_account on sessions(account_id);
      create table devices (
        id text primary key,
        account_id text not null references accounts(id),
        name text not null,
        public_key text not null,
        created_at text not null,
        last_mutation_seq integer not null default 0
      );
      create index devices_account on devices(account_id);
      create table entries (
        account_id text not null references accounts(id),
        seq integer not null,
        hash text not null,
        body text not null,
        type text not null,
        at text not null,
        operation_id text not null,
        balances_after text not null,
        primary key (account_id, seq)
      );
      create table operations (
        account_id text not null references accounts(id),
        operation_id text not null,
        request_hash text not null,
        status integer not null,
        result text not null,
        primary key (account_id, operation_id)
      );
      -- Deadlines to materialise without user activity: hold and allowance expiry.
      create table timers (
        account_id text not null references accounts(id),
        ref_id text not null,
        due_at text not null,
        primary key (account_id, ref_id)
      );
      create index timers_due on timers(due_at);
      create table signin_attempts (
        email text not null,
        at text not null
      );
      create index signin_attempts_email on signin_attempts(email, at);
    `,
  },
  {
    version: 2,
    name: 'price books, designs, entitlements, items, vouchers',
    sql: `
      create table price_books (
        version integer primary key,
        signed text not null,
        published_at text not null
      );
      create table designs (
        id text primary key,
        title text not null,
        description text not null,
        price_cents integer not null,
        preview_svg text not null,
        file bytea not null,
        file_mime text not null,
        created_at text not null
      );
      create table entitlements (
        account_id text not null references accounts(id),
        design_id text not null references designs(id),
        seq integer not null,
        created_at text not null,
        primary key (account_id, design_id)
      );
      create table items (
        id text primary key,
        account_id text not null references accounts(id),
        paid_by text not null,
        tool text not null,
        refund_credits integer not null,
        created_at text not null
      );
      create index items_account on items(account_id);
      create table voucher_settlements (
        allowance_id text not null,
        counter integer not null,
        content_hash text not null,
        seq integer not null,
        primary key (allowance_id, counter)
      );
      create table mutation_log (
        device_id text not null references devices(id),
        mutation_seq integer not null,
        operation_id text not null,
        result text not null,
        primary key (device_id, mutation_seq)
      );
    `,
  },
  purchasesMigration,
  jobsMigration,
  signinAttemptsMigration,
  cutoutPreviewsMigration,
  ledgerSnapshotsMigration,
  spendingLimitsMigration,
  promoCodesMigration,
  snapshotHistoryMigration,
  ledgerAppendMigration,
  planPeriodsMigration,
  receiptsAutoTopupMigration,
  teamsMigration,
  ledgerAppendMonthlyMigration,
  teamJobsMigration,
  teamBookMigration,
];

/** The advisory lock that serialises starting instances (migrations, then seeding). */
export const MIGRATION_LOCK = 4780;

export async function migrate(db: Database): Promise<number[]> {
  // Under the lock too: two instances creating it at once collide in PostgreSQL's catalog.
  await db.transaction(async (tx) => {
    if (db.kind === 'postgres')
      await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.query(
      `create table if not exists schema_migrations (version integer primary key, name text not null, applied_at text not null)`,
    );
  });
  const applied: number[] = [];
  for (const m of migrations) {
    const done = await db.transaction(async (tx) => {
      // Serialises concurrent starters (PGlite has one connection and does not need it).
      if (db.kind === 'postgres')
        await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      const { rows } = await tx.query<{ version: number }>(
        'select version from schema_migrations where version = $1',
        [m.version],
      );
      if (rows.length > 0) return false;
      for (const statement of m.sql
        .split(/;\s*\n/)
        .map((s) => s.trim())
        .filter(Boolean)) {
        await tx.query(statement.replace(/;$/, ''));
      }
      await tx.query(
        'insert into schema_migrations (version, name, applied_at) values ($1, $2, $3)',
        [m.version, m.name, new Date().toISOString()],
      );
      return true;
    });
    if (done) applied.push(m.version);
  }
  return applied;
}
