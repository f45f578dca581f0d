/**
 * A TPC-B-like workload, pgbench's built-in script, run through the server's own database
 * driver (`Database.transaction`), so a ledger benchmark has a same-run measure of what the
 * database and driver do on this machine right now. Each transaction is pgbench's five
 * statements: update an account, select it, update a teller, update a branch, insert history.
 */
import type { Database } from '../server/db/database';

/** pgbench's scale: branches; tellers are 10 a branch. Accounts are fewer than pgbench's 100,000 a branch (see `ACCOUNTS`). */
const SCALE = 32;
/** Accounts in all (pgbench would make 100,000 × scale; fewer keeps set-up in seconds, all cached either way). */
const ACCOUNTS = 100_000;

export async function setupTpcb(db: Database): Promise<void> {
  await db.exec(`
    drop table if exists pgbench_history, pgbench_tellers, pgbench_accounts, pgbench_branches;
    create table pgbench_branches (bid integer primary key, bbalance integer, filler char(88)) with (fillfactor = 100);
    create table pgbench_tellers (tid integer primary key, bid integer, tbalance integer, filler char(84)) with (fillfactor = 100);
    create table pgbench_accounts (aid integer primary key, bid integer, abalance integer, filler char(84)) with (fillfactor = 100);
    create table pgbench_history (tid integer, bid integer, aid integer, delta integer, mtime timestamp, filler char(22));
    insert into pgbench_branches select b, 0, '' from generate_series(1, ${SCALE}) b;
    insert into pgbench_tellers select t, (t - 1) / 10 + 1, 0, '' from generate_series(1, ${SCALE * 10}) t;
    insert into pgbench_accounts select a, (a - 1) % ${SCALE} + 1, 0, '' from generate_series(1, ${ACCOUNTS}) a;
    analyze pgbench_branches;
    analyze pgbench_tellers;
    analyze pgbench_accounts;
  `);
}

const random = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo + 1));

/** One TPC-B-like transaction (pgbench's `tpcb-like` script, parameters drawn as it draws them). */
export async function tpcbTransaction(db: Database): Promise<void> {
  const aid = random(1, ACCOUNTS);
  const bid = random(1, SCALE);
  const tid = random(1, SCALE * 10);
  const delta = random(-5000, 5000);
  await db.transaction(async (tx) => {
    await tx.query('update pgbench_accounts set abalance = abalance + $1 where aid = $2', [
      delta,
      aid,
    ]);
    await tx.query('select abalance from pgbench_accounts where aid = $1', [aid]);
    await tx.query('update pgbench_tellers set tbalance = tbalance + $1 where tid = $2', [
      delta,
      tid,
    ]);
    await tx.query('update pgbench_branches set bbalance = bbalance + $1 where bid = $2', [
      delta,
      bid,
    ]);
    await tx.query(
      'insert into pgbench_history (tid, bid, aid, delta, mtime) values ($1, $2, $3, $4, current_timestamp)',
      [tid, bid, aid, delta],
    );
  });
}

export const tpcbDescription = `TPC-B-like (pgbench's script; ${SCALE} branches, ${SCALE * 10} tellers, ${ACCOUNTS.toLocaleString('en-US')} accounts)`;
