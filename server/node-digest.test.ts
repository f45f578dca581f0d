import { describe, expect, it } from 'vitest';
import { portableChainDigest } from '../shared/crypto/sha256';
import { nodeChainDigest } from './node-digest';

/** docs/architecture.md §3: the server's fast chain digest gives the portable one's bytes. */
describe('nodeChainDigest', () => {
  const prev = portableChainDigest('0'.repeat(64), 'genesis');
  const bodies: Array<[string, string]> = [
    ['a short body', '{"seq":2,"type":"hold"}'],
    ['an empty body', ''],
    ['non-ASCII text', '{"title":"Café ☕ 日本 🎨"}'.repeat(50)],
    ['a body longer than the scratch buffer', `{"x":"${'é'.repeat(40_000)}"}`],
    ['a body just at the scratch limit', 'a'.repeat(16_384 / 3)],
  ];
  it.each(bodies)('matches the portable digest for %s', (_, body) => {
    expect(nodeChainDigest(prev, body)).toBe(portableChainDigest(prev, body));
  });

  it('does not carry bytes of a longer body into the next, shorter one', () => {
    nodeChainDigest(prev, 'x'.repeat(5000));
    expect(nodeChainDigest(prev, 'y')).toBe(portableChainDigest(prev, 'y'));
  });
});
