/**
 * RFC 8785 (JSON Canonicalization Scheme) serialisation.
 *
 * Ledger bodies only hold strings, booleans, null, arrays, objects and safe integers, so the
 * number rule of JCS reduces to "integers print in decimal". We reject anything else rather
 * than guess: a non-integer or unsafe number, undefined, a function, a non-plain object.
 */
export class CanonicalizationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CanonicalizationError';
  }
}

export function canonicalize(value: unknown): string {
  return write(value, '$');
}

function write(value: unknown, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      // ECMAScript's JSON.stringify escaping for strings is exactly JCS's (RFC 8785 §3.2.2.2).
      return JSON.stringify(value);
    case 'number':
      if (!Number.isSafeInteger(value)) {
        throw new CanonicalizationError(`${path}: only safe integers are allowed, got ${value}`);
      }
      return Object.is(value, -0) ? '0' : String(value);
    case 'object': {
      if (Array.isArray(value)) {
        return `[${value.map((item, i) => write(item, `${path}[${i}]`)).join(',')}]`;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        throw new CanonicalizationError(`${path}: only plain objects are allowed`);
      }
      const record = value as Record<string, unknown>;
      // JCS sorts keys by UTF-16 code units, which is what the default sort compares.
      const keys = Object.keys(record).sort();
      const parts: string[] = [];
      for (const key of keys) {
        const item = record[key];
        if (item === undefined) continue; // like JSON.stringify: absent and undefined are one
        parts.push(`${JSON.stringify(key)}:${write(item, `${path}.${key}`)}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      throw new CanonicalizationError(`${path}: ${typeof value} cannot be serialised`);
  }
}
