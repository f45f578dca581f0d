/**
 * The body of `ledger_append(items jsonb)` (docs/architecture.md §2, §9), built once for the
 * migrations that define it: 011 creates it; 016 replaces it with the month of the last free
 * monthly grant expected and moved like the last daily date; 018 adds an item's team
 * bookkeeping (docs/architecture.md §14). Shipped migrations must keep
 * producing exactly the SQL they shipped with (`ledger-append-sql.test.ts` pins both).
 *
 * The migration runner splits statements at a semicolon ending a line, so the body's own
 * semicolons are joined to the next line and the function stays one statement.
 */
export function ledgerAppendSql({
  create,
  monthly,
  team = false,
}: {
  create: 'create' | 'create or replace';
  monthly: boolean;
  /** 018: an item's team bookkeeping (`team_book`) is stored with it; a failed check is stale. */
  team?: boolean;
}): string {
  return `
    ${create} function ledger_append(items jsonb) returns jsonb
    language plpgsql as $fn$
    declare
      item jsonb;
      acc record;
      op record;
      account text;
      new_plan text;
      outcomes jsonb := '[]'::jsonb;
    begin
      for item in
        select value from jsonb_array_elements(items) order by value->>'account', (value->>'i')::int
      loop
        account := item->>'account';
        begin
          select head_seq, head_hash, plan, last_daily_date${monthly ? ', last_monthly_period' : ''} into acc
            from accounts where id = account for update;
          if not found then
            outcomes := outcomes || jsonb_build_array(jsonb_build_object('i', item->'i', 'outcome', 'missing'));
            continue;
          end if;
          if item->>'op' is not null then
            select o.request_hash, o.status, o.result into op
              from operations o where o.account_id = account and o.operation_id = item->>'op';
            if found then
              outcomes := outcomes || jsonb_build_array(jsonb_build_object('i', item->'i',
                'outcome', 'replay', 'requestHash', op.request_hash, 'status', op.status, 'result', op.result));
              continue;
            end if;
          end if;
          if item ? 'expect' and (
               acc.head_seq <> (item->'expect'->>'seq')::int
            or acc.head_hash <> item->'expect'->>'hash'
            or acc.plan <> item->'expect'->>'plan'
            or acc.last_daily_date is distinct from item->'expect'->>'daily'${
              monthly
                ? `
            or acc.last_monthly_period is distinct from item->'expect'->>'monthly'`
                : ''
            }
            or (item ? 'limits' and coalesce(
                 (select jsonb_build_object('daily', l.daily, 'monthly', l.monthly)
                    from spending_limits l where l.account_id = account),
                 '{"daily": null, "monthly": null}'::jsonb) is distinct from item->'limits')) then
            outcomes := outcomes || jsonb_build_array(jsonb_build_object('i', item->'i', 'outcome', 'stale'));
            continue;
          end if;
${
  team
    ? `if item ? 'team' then
            perform team_book(item->'team');
          end if;
          `
    : ''
}insert into entries (account_id, seq, hash, body, type, at, operation_id, balances_after)
            select account, e.seq, e.hash, e.body, e.type, e.at, e.operation_id, e.balances_after
              from jsonb_to_recordset(item->'entries')
                as e(seq integer, hash text, body text, type text, at text, operation_id text, balances_after text);
          update accounts
             set head_seq = (item->'head'->>'seq')::int, head_hash = item->'head'->>'hash',
                 last_daily_date = item->'head'->>'daily'${
                   monthly
                     ? `,
                 last_monthly_period = item->'head'->>'monthly'`
                     : ''
                 }
           where id = account
          returning plan into new_plan;
          delete from timers
           where account_id = account
             and ref_id in (select jsonb_array_elements_text(item->'timersClear'));
          insert into timers (account_id, ref_id, due_at)
            select account, t.ref, t.due from jsonb_to_recordset(item->'timersSet') as t(ref text, due text)
            on conflict (account_id, ref_id) do update set due_at = excluded.due_at;
          if item->>'op' is not null then
            insert into operations (account_id, operation_id, request_hash, status, result)
              values (account, item->>'op', item->>'requestHash', (item->>'status')::int, item->>'result');
          end if;
          outcomes := outcomes || jsonb_build_array(jsonb_build_object('i', item->'i', 'outcome', 'ok', 'plan', new_plan));
        exception${
          team
            ? `
          when sqlstate 'EZ001' then
            outcomes := outcomes || jsonb_build_array(jsonb_build_object('i', item->'i', 'outcome', 'stale'));`
            : ''
        } when others then
          outcomes := outcomes || jsonb_build_array(jsonb_build_object('i', item->'i',
            'outcome', 'error', 'code', sqlstate, 'message', sqlerrm));
        end;
      end loop;
      return outcomes;
    end
    $fn$
  `.replace(/;\s*\n\s*/g, '; ');
}
