import { ledgerAppendSql } from './ledger-append-sql';

/** One statement for the migration runner, which splits at a semicolon ending a line. */
const oneStatement = (sql: string): string => sql.replace(/;\s*\n\s*/g, '; ');

/**
 * Adds `delta` to a charge's member and project use for one month (docs/architecture.md §14).
 */
const teamUse = oneStatement(`
  create function team_use(tid text, per text, member text, project text, delta integer) returns void
  language plpgsql as $fn$
  begin
    if delta = 0 then
      return;
    end if;
    insert into team_budget_usage (team_id, period, scope, subject_id, used)
      values (tid, per, 'member', member, delta)
      on conflict (team_id, period, scope, subject_id) do update set used = team_budget_usage.used + delta;
    if project is not null then
      insert into team_budget_usage (team_id, period, scope, subject_id, used)
        values (tid, per, 'project', project, delta)
        on conflict (team_id, period, scope, subject_id) do update set used = team_budget_usage.used + delta;
    end if;
  end
  $fn$
`);

/**
 * A team wallet write's bookkeeping, in order (docs/architecture.md §14, server/teams/book-ops.ts):
 * checks of what an unlocked write assumed (the caller's membership and role, a live project, a
 * budget with room), each raising SQLSTATE EZ001 when it no longer holds, and the changes to the
 * charges and their monthly use. Runs under the team account's row lock: inside `ledger_append`
 * with the write's entries, or on its own in a locked write.
 */
const teamBook = oneStatement(`
  create function team_book(t jsonb) returns void
  language plpgsql as $fn$
  declare
    tid text := t->>'team';
    op jsonb;
    r record;
    lowered integer;
  begin
    for op in select x.value from jsonb_array_elements(t->'ops') with ordinality as x(value, n) order by x.n
    loop
      if op->>'k' = 'member' then
        if not exists (select 1 from team_members where team_id = tid and account_id = op->>'account'
                         and role = op->>'role' and removed_at is null) then
          raise exception 'team book: % is no longer a % of team %', op->>'account', op->>'role', tid using errcode = 'EZ001';
        end if;
      elsif op->>'k' = 'project' then
        if not exists (select 1 from team_projects where team_id = tid and id = op->>'id' and archived_at is null) then
          raise exception 'team book: project % is gone', op->>'id' using errcode = 'EZ001';
        end if;
      elsif op->>'k' = 'budget' then
        select b.monthly, greatest(0, coalesce(u.used, 0)) as used into r
          from team_budgets b
          left join team_budget_usage u
            on u.team_id = b.team_id and u.period = op->>'period' and u.scope = b.scope and u.subject_id = b.subject_id
         where b.team_id = tid and b.scope = op->>'scope' and b.subject_id = op->>'subject';
        if found and r.monthly is not null and r.used + (op->>'amount')::int > r.monthly then
          raise exception 'team book: % budget of % passed', op->>'scope', op->>'subject' using errcode = 'EZ001';
        end if;
      elsif op->>'k' = 'charge' then
        insert into team_charges (team_id, ref_id, member_id, project_id, period, charged, open)
          values (tid, op->>'ref', op->>'member', op->>'project', op->>'period', (op->>'amount')::int, true);
        perform team_use(tid, op->>'period', op->>'member', op->>'project', (op->>'amount')::int);
      elsif op->>'k' = 'close' then
        select member_id, project_id, period, charged into r
          from team_charges where team_id = tid and ref_id = op->>'ref' and open;
        if found then
          update team_charges set open = false, charged = (op->>'final')::int
           where team_id = tid and ref_id = op->>'ref';
          perform team_use(tid, r.period, r.member_id, r.project_id, (op->>'final')::int - r.charged);
        end if;
      elsif op->>'k' = 'refund' then
        select member_id, project_id, period, charged into r
          from team_charges where team_id = tid and ref_id = op->>'ref' and not open;
        if found then
          lowered := least((op->>'amount')::int, r.charged);
          if lowered > 0 then
            update team_charges set charged = charged - lowered where team_id = tid and ref_id = op->>'ref';
            perform team_use(tid, r.period, r.member_id, r.project_id, -lowered);
          end if;
        end if;
      else
        raise exception 'team book: unknown operation %', op->>'k';
      end if;
    end loop;
  end
  $fn$
`);

/**
 * Team wallet writes without the lock round trips (docs/architecture.md §2, §14): the charges
 * and budget use a team write changes are stored by `ledger_append` with its entries, after the
 * checks of what it was computed from, so a team write can take the unlocked, batched path like
 * any other and is refused as stale (then decided under the lock) when a check fails.
 */
export const teamBookMigration = {
  version: 18,
  name: 'team bookkeeping stored with the ledger write',
  sql: [
    teamUse,
    teamBook,
    ledgerAppendSql({ create: 'create or replace', monthly: true, team: true }),
  ].join(';\n'),
};
