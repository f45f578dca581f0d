import { canonicalize } from '../canonical/jcs';
import { fromHex, toHex, utf8 } from '../crypto/bytes';
import { portableSha256, type Sha256 } from '../crypto/sha256';
import { EntryBody, type LedgerEntry, type WireEntry } from './entry';
import { GENESIS_HASH } from './primitives';

/** hash = SHA-256(prevHash ‖ bodyBytes), prevHash as its 32 raw bytes. */
export function entryHash(prevHashHex: string, bodyText: string, sha256: Sha256 = portableSha256) {
  const prev = fromHex(prevHashHex);
  const body = utf8(bodyText);
  const input = new Uint8Array(prev.length + body.length);
  input.set(prev, 0);
  input.set(body, prev.length);
  return toHex(sha256(input));
}

/** Seals a body into a wire entry chained after `prevHash`. Used by the server only. */
export function sealEntry(body: EntryBody, prevHash: string, sha256: Sha256 = portableSha256): LedgerEntry {
  const data = EntryBody.parse(body); // never hash something the schema would refuse
  const text = canonicalize(data);
  return { seq: data.seq, hash: entryHash(prevHash, text, sha256), body: text, data };
}

export class EntryParseError extends Error {
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
    throw new EntryParseError(wire.seq, `body fails its schema at ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? ''}`);
  }
  if (parsed.data.seq !== wire.seq) throw new EntryParseError(wire.seq, `body says seq ${parsed.data.seq}`);
  return { ...wire, data: parsed.data };
}

export const GENESIS = { seq: 0, hash: GENESIS_HASH } as const;
export interface ChainHead {
  seq: number;
  hash: string;
}
