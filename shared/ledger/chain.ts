import { canonicalize } from '../canonical/jcs';
import { type ChainDigest, portableChainDigest } from '../crypto/sha256';
import { EntryBody, type LedgerEntry, type WireEntry } from './entry';
import { GENESIS_HASH } from './primitives';

/** hash = SHA-256(prevHash ‖ bodyBytes), prevHash as its 32 raw bytes. */
export function entryHash(
  prevHashHex: string,
  bodyText: string,
  digest: ChainDigest = portableChainDigest,
): string {
  return digest(prevHashHex, bodyText);
}

/** Seals a body into a wire entry chained after `prevHash`. Used by the server only. */
export function sealEntry(
  body: EntryBody,
  prevHash: string,
  digest: ChainDigest = portableChainDigest,
): LedgerEntry {
  const data = EntryBody.parse(body); // never hash something the schema would refuse
  const text = canonicalize(data);
  return { seq: data.seq, hash: digest(prevHash, text), body: text, data };
}

class EntryParseError extends Error {
  constructor(
    readonly seq: number,
    message: string,
  ) {
    super(`entry ${seq}: ${message}`);
    this.name = 'EntryParseError';
  }
}

/** Parses and schema-checks the exact body text of a wire entry. */
export function parseEntry(wire: WireEntry): LedgerEntry {
  let json: unknown;
  try {
    json = JSON.parse(wire.body);
  } catch {
    throw new EntryParseError(wire.seq, 'body is not JSON');
  }
  const parsed = EntryBody.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new EntryParseError(
      wire.seq,
      `body fails its schema at ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? ''}`,
    );
  }
  if (parsed.data.seq !== wire.seq)
    throw new EntryParseError(wire.seq, `body says seq ${parsed.data.seq}`);
  return { ...wire, data: parsed.data };
}

export const GENESIS = { seq: 0, hash: GENESIS_HASH } as const;
export interface ChainHead {
  seq: number;
  hash: string;
}
