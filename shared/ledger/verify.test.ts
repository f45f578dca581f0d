import { describe, expect, it } from 'vitest';
import { generateKeyPair } from '../crypto/ed25519';
import { T0, at, bucket, grant, testServerKey, testServerKeys } from '../testing/ledger-fixture';
import { GENESIS, parseEntry } from './chain';
import { signCheckpoint, type SignedCheckpoint } from './checkpoint';
import type { WireEntry } from './entry';
import { verifyChain } from './verify';
import { ChainWriter } from './writer';

function buildChain(n: number, accountId = 'acct-1') {
  const w = new ChainWriter(accountId);
  const entries: WireEntry[] = [];
  for (let i = 0; i < n; i++) {
    const e = w.append(grant(bucket(10 + i)), at(i));
    entries.push({ seq: e.seq, hash: e.hash, body: e.body });
  }
  return { entries, checkpoint: w.checkpoint(at(n), testServerKey), writer: w };
}

const opts = { accountId: 'acct-1' };

describe('verifyChain', () => {
  it('accepts an honest chain with one signature', () => {
    const { entries, checkpoint } = buildChain(20);
    const verdict = verifyChain(entries, checkpoint, testServerKeys, opts);
    expect(verdict).toEqual({ ok: true, head: { seq: 20, hash: checkpoint.checkpoint.head } });
  });

  it('accepts a batch that extends a stored head, and an empty batch at the head', () => {
    const { entries, checkpoint } = buildChain(10);
    const from = { seq: 6, hash: entries[5]!.hash };
    expect(verifyChain(entries.slice(6), checkpoint, testServerKeys, { ...opts, from }).ok).toBe(
      true,
    );
    expect(
      verifyChain([], checkpoint, testServerKeys, {
        ...opts,
        from: { seq: 10, hash: entries[9]!.hash },
      }).ok,
    ).toBe(true);
  });

  it('finds one changed byte and names the seq', () => {
    const { entries, checkpoint } = buildChain(10);
    const tampered = entries.map((e) => ({ ...e }));
    tampered[4] = {
      ...tampered[4]!,
      body: tampered[4]!.body.replace('"amount":14', '"amount":94'),
    };
    expect(verifyChain(tampered, checkpoint, testServerKeys, opts)).toMatchObject({
      ok: false,
      reason: 'hash-mismatch',
      seq: 5,
    });
  });

  it('finds a dropped entry, a swapped pair and a truncated tail', () => {
    const { entries, checkpoint } = buildChain(10);
    expect(
      verifyChain([...entries.slice(0, 3), ...entries.slice(4)], checkpoint, testServerKeys, opts),
    ).toMatchObject({ ok: false, reason: 'seq-gap', seq: 4 });
    const swapped = [...entries];
    [swapped[2], swapped[3]] = [swapped[3]!, swapped[2]!];
    expect(verifyChain(swapped, checkpoint, testServerKeys, opts)).toMatchObject({
      ok: false,
      reason: 'seq-gap',
      seq: 3,
    });
    expect(verifyChain(entries.slice(0, 9), checkpoint, testServerKeys, opts)).toMatchObject({
      ok: false,
      reason: 'checkpoint-mismatch',
      seq: 9,
    });
  });

  it('finds a renumbered entry whose hash was recomputed (a forged, re-chained history)', () => {
    const { entries, checkpoint } = buildChain(5);
    const forger = new ChainWriter('acct-1');
    const forged = [1, 2, 3, 4, 5].map((i) => forger.append(grant(bucket(1000 * i)), at(i)));
    expect(verifyChain(forged, checkpoint, testServerKeys, opts)).toMatchObject({
      ok: false,
      reason: 'checkpoint-mismatch',
    });
    expect(entries.length).toBe(5);
  });

  it('refuses a forged checkpoint, an unknown key id and a wrong-key signature', () => {
    const { entries, checkpoint } = buildChain(5);
    const lying: SignedCheckpoint = {
      ...checkpoint,
      checkpoint: { ...checkpoint.checkpoint, balances: { image: 1_000_000 } },
    };
    expect(verifyChain(entries, lying, testServerKeys, opts)).toMatchObject({
      ok: false,
      reason: 'bad-signature',
    });
    const stranger = generateKeyPair();
    const foreign = signCheckpoint(
      { ...checkpoint.checkpoint, keyId: stranger.keyId },
      stranger.secretKey,
    );
    expect(verifyChain(entries, foreign, testServerKeys, opts)).toMatchObject({
      ok: false,
      reason: 'unknown-key',
    });
    const wrongKey = signCheckpoint(checkpoint.checkpoint, stranger.secretKey);
    expect(verifyChain(entries, wrongKey, testServerKeys, opts)).toMatchObject({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('refuses entries and checkpoints of another account, and a rollback', () => {
    const { entries, checkpoint } = buildChain(3, 'acct-2');
    expect(verifyChain(entries, checkpoint, testServerKeys, opts)).toMatchObject({
      ok: false,
      reason: 'wrong-account',
    });
    const own = buildChain(3);
    expect(
      verifyChain([], own.checkpoint, testServerKeys, {
        ...opts,
        from: { seq: 7, hash: own.entries[2]!.hash },
      }),
    ).toMatchObject({ ok: false, reason: 'rollback' });
  });

  it('detects a fork: a batch that does not chain to the stored head', () => {
    const a = buildChain(6);
    const b = buildChain(6); // same shape, different bucket ids → a different history
    const from = { seq: 3, hash: a.entries[2]!.hash };
    expect(
      verifyChain(b.entries.slice(3), b.checkpoint, testServerKeys, { ...opts, from }),
    ).toMatchObject({ ok: false, reason: 'hash-mismatch', seq: 4 });
  });
});

describe('parseEntry', () => {
  it('schema-checks the body and its seq', () => {
    const { entries } = buildChain(2);
    expect(parseEntry(entries[1]!).data.type).toBe('grant');
    expect(() => parseEntry({ ...entries[1]!, seq: 9 })).toThrow(/seq/);
    expect(() => parseEntry({ ...entries[1]!, body: '{"v":1}' })).toThrow(/schema/);
    expect(() => parseEntry({ ...entries[1]!, body: 'nope' })).toThrow(/JSON/);
  });
  it('starts from genesis', () => {
    expect(GENESIS.seq).toBe(0);
    expect(T0 < at(1)).toBe(true);
  });
});
