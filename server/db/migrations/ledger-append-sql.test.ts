import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ledgerAppendMigration } from './011-ledger-append';
import { ledgerAppendMonthlyMigration } from './016-ledger-append-monthly';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * A shipped migration never changes (a database that ran it must match one that runs it now):
 * both migrations built from `ledgerAppendSql` keep the exact SQL they shipped with.
 */
describe('ledger_append migrations', () => {
  it('011 and 016 produce the SQL they shipped with', () => {
    expect(sha256(ledgerAppendMigration.sql)).toBe(
      '4f28158cc6f25542a617df33e7b40328e41eabbc7984c346bbd3fcfba65bd7a5',
    );
    expect(sha256(ledgerAppendMonthlyMigration.sql)).toBe(
      '441ee33110216caffbb9dc9087ee5b78fd08fff3eef2801bbee1b9b614a668e2',
    );
  });

  it('016 differs from 011 only by the monthly period and create or replace', () => {
    const monthly = ledgerAppendMonthlyMigration.sql;
    expect(monthly).toContain('create or replace function ledger_append');
    expect(monthly).toContain(
      "acc.last_monthly_period is distinct from item->'expect'->>'monthly'",
    );
    expect(monthly).toContain("last_monthly_period = item->'head'->>'monthly'");
    expect(ledgerAppendMigration.sql).not.toContain('last_monthly_period');
    // One statement each: the runner splits at a semicolon ending a line.
    for (const sql of [ledgerAppendMigration.sql, monthly]) expect(sql).not.toMatch(/;\s*\n/);
  });
});
