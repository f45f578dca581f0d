import { ledgerAppendSql } from './ledger-append-sql';

/**
 * One round trip per ledger write (docs/architecture.md §2, §9): `ledger_append(items)` stores
 * the writes Node has already hashed and folded, for one or many accounts, in the statement's
 * own transaction. For each item, in account-id order (so concurrent batches never deadlock),
 * it locks the account row, answers a known operation id with its first result, refuses an item
 * whose expected head (seq, hash, plan, last daily date) or spending limits are no longer the
 * account's, and otherwise inserts the entries, moves the head, sets and clears timers and
 * records the operation. Each item runs in its own subtransaction: one item's error is reported for it
 * alone and never undoes another's write. Returns one outcome per item.
 */
export const ledgerAppendMigration = {
  version: 11,
  name: 'ledger_append: one statement per ledger write, many accounts a batch',
  sql: ledgerAppendSql({ create: 'create', monthly: false }),
};
