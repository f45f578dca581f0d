/**
 * Plans (docs/architecture.md §2 monthly credits, §7 plan self-service): the calendar month of
 * the account's last free monthly grant (checked under the account's row lock, so two instances
 * grant once), and what a subscription says about its period: when it ends, whether it cancels
 * then, and the plan it changes to then (a downgrade).
 */
export const planPeriodsMigration = {
  version: 12,
  name: 'plan periods',
  sql: `
    alter table accounts add column last_monthly_period text;
    alter table purchase_subscriptions add column current_period_end text;
    alter table purchase_subscriptions add column cancel_at_period_end boolean not null default false;
    alter table purchase_subscriptions add column pending_plan_id text
  `,
};
