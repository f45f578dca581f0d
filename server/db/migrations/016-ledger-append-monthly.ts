import { ledgerAppendSql } from './ledger-append-sql';

/**
 * `ledger_append` (migration 011, docs/architecture.md §2) learns the month of the last free
 * monthly grant (migration 012's `accounts.last_monthly_period`): an item expects it like the
 * last daily date — stale if another write moved it — and moves it with the head. Otherwise the
 * same function.
 */
export const ledgerAppendMonthlyMigration = {
  version: 16,
  name: 'ledger_append moves the monthly grant period with the head',
  sql: ledgerAppendSql({ create: 'create or replace', monthly: true }),
};
