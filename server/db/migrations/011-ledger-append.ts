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
  // The migration runner splits statements at a semicolon ending a line; the body's own
  // semicolons are kept off line ends so the function stays one statement.
  sql: `
    create function ledger_append(items jsonb) returns jsonb
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
          select head_seq, head_hash, plan, last_daily_date into acc
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
            or acc.last_daily_date is distinct from item->'expect'->>'daily'
            or (item ? 'limits' and coalesce(
                 (select jsonb_build_object('daily', l.daily, 'monthly', l.monthly)
                    from spending_limits l where l.account_id = account),
                 '{"daily": null, "monthly": null}'::jsonb) is distinct from item->'limits')) then
            outcomes := outcomes || jsonb_build_array(jsonb_build_object('i', item->'i', 'outcome', 'stale'));
            continue;
          end if;
          insert into entries (account_id, seq, hash, body, type, at, operation_id, balances_after)
            select account, e.seq, e.hash, e.body, e.type, e.at, e.operation_id, e.balances_after
              from jsonb_to_recordset(item->'entries')
                as e(seq integer, hash text, body text, type text, at text, operation_id text, balances_after text);
          update accounts
             set head_seq = (item->'head'->>'seq')::int, head_hash = item->'head'->>'hash',
                 last_daily_date = item->'head'->>'daily'
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
        exception when others then
          outcomes := outcomes || jsonb_build_array(jsonb_build_object('i', item->'i',
            'outcome', 'error', 'code', sqlstate, 'message', sqlerrm));
        end;
      end loop;
      return outcomes;
    end
    $fn$
  `.replace(/;\s*\n\s*/g, '; '),
};
