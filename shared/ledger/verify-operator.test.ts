import { describe, expect, it } from 'vitest';
import { foldAll } from '../wallet/fold';
import { at, bucket, testServerKey, testServerKeys } from '../testing/ledger-fixture';
import { parseEntry } from './chain';
import type { WireEntry } from './entry';
import { verifyChain } from './verify';
import { ChainWriter } from './writer';

/**
 * Operator entries verified offline as main and the renderer do (docs/architecture.md §3): one
 * signature and the hash chain, then the schema parse and the fold.
 */
function operatorChain() {
  const w = new ChainWriter('acct-1');
  const entries: WireEntry[] = [];
  const push = (e: WireEntry) => entries.push({ seq: e.seq, hash: e.hash, body: e.body });
  push(
    w.append(
      {
        type: 'grant',
        operationId: 'admin:g1',
        reason: 'outage on 1 Nov',
        operator: 'Ada Ops',
        bucket: bucket(50, {
          bucketId: 'op-b',
          source: 'adjustment',
          priority: 10,
          effectiveAt: at(60),
          expiresAt: at(600),
        }),
      },
      at(1),
    ),
  );
  push(
    w.append(
      {
        type: 'adjust-expiry',
        operationId: 'admin:a1',
        bucketId: 'op-b',
        kind: 'image',
        previousExpiresAt: at(600),
        expiresAt: at(6000),
        operator: 'Ada Ops',
        reason: 'ticket 42: more time',
      },
      at(2),
    ),
  );
  return { entries, checkpoint: w.checkpoint(at(3), testServerKey) };
}

describe('verifying operator entries offline', () => {
  it('accepts the chain and folds it to the same wallet the server signed', () => {
    const { entries, checkpoint } = operatorChain();
    expect(verifyChain(entries, checkpoint, testServerKeys, { accountId: 'acct-1' }).ok).toBe(true);
    const parsed = entries.map((e) => parseEntry(e).data);
    expect(parsed[0]).toMatchObject({ operator: 'Ada Ops', reason: 'outage on 1 Nov' });
    expect(parsed[1]).toMatchObject({ type: 'adjust-expiry', reason: 'ticket 42: more time' });
    const fold = foldAll(parsed);
    // The signed balance is at the head's time: the grant had not started yet.
    expect(checkpoint.checkpoint.balances).toEqual({ image: 0 });
    expect(fold.view(at(2)).balances.image?.balance).toBe(0);
    expect(fold.view(at(700)).balances.image?.balance).toBe(50);
    expect(fold.view(at(6000)).balances.image?.balance).toBe(0);
  });

  it('finds an edited reason, operator, new expiry or start date', () => {
    const { entries, checkpoint } = operatorChain();
    const edits: Array<[number, string, string]> = [
      [1, '"reason":"ticket 42: more time"', '"reason":"ticket 43"'],
      [1, '"operator":"Ada Ops"', '"operator":"Bob"'],
      [1, `"expiresAt":"${at(6000)}"`, `"expiresAt":"${at(60000)}"`],
      [0, `"effectiveAt":"${at(60)}"`, `"effectiveAt":"${at(0)}"`],
      [0, '"priority":10', '"priority":0'],
    ];
    for (const [i, from, to] of edits) {
      const tampered = entries.map((e) => ({ ...e }));
      const body = tampered[i]!.body;
      expect(body).toContain(from);
      tampered[i] = { ...tampered[i]!, body: body.replace(from, to) };
      expect(
        verifyChain(tampered, checkpoint, testServerKeys, { accountId: 'acct-1' }),
      ).toMatchObject({ ok: false, reason: 'hash-mismatch', seq: i + 1 });
    }
  });

  it('refuses an adjustment body without its operator, even re-hashed', () => {
    const { entries } = operatorChain();
    const body = entries[1]!.body.replace('"operator":"Ada Ops",', '');
    expect(() => parseEntry({ ...entries[1]!, body })).toThrow(/operator/);
  });
});
