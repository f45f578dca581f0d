import { keyPairFromSecret } from '../crypto/ed25519';
import type { BucketSource, BucketSpec, EntryDraft } from '../ledger/entry';
import type { PublicKeyInfo } from '../ledger/checkpoint';

/** Deterministic keys for tests and benchmarks (never used by a running server). */
export const testServerKey = keyPairFromSecret('11'.repeat(32));
export const testServerKeys: PublicKeyInfo[] = [
  { keyId: testServerKey.keyId, publicKey: testServerKey.publicKey, status: 'active' },
];

export const T0 = '2026-11-01T00:00:00.000Z';
export const at = (minutes: number): string =>
  new Date(Date.parse(T0) + minutes * 60_000).toISOString();
export const days = (n: number): number => n * 24 * 60;

let counter = 0;
export const uid = (prefix: string): string => `${prefix}-${++counter}`;

export function bucket(
  amount: number,
  options: Partial<Omit<BucketSpec, 'amount'>> & { source?: BucketSource } = {},
): BucketSpec {
  return {
    bucketId: options.bucketId ?? uid('b'),
    kind: options.kind ?? 'image',
    source: options.source ?? 'promo',
    amount,
    costBasisCents: options.costBasisCents ?? 0,
    effectiveAt: options.effectiveAt ?? T0,
    expiresAt: options.expiresAt === undefined ? null : options.expiresAt,
    priority: options.priority ?? 100,
  };
}

export function grant(spec: BucketSpec, reason = 'test grant'): EntryDraft<'grant'> {
  return { type: 'grant', operationId: uid('op'), bucket: spec, reason };
}
