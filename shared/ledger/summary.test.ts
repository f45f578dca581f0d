import { describe, expect, it } from 'vitest';
import { EntryBody } from './entry';
import { excerpt, jobSummary } from './summary';

describe('entry summaries for History', () => {
  it('cuts a prompt on a word boundary with an ellipsis, and keeps a short one whole', () => {
    expect(excerpt('  a calm\n harbour  at dawn ')).toBe('a calm harbour at dawn');
    expect(excerpt('a calm harbour at dawn')).toBe('a calm harbour at dawn');
    const long = excerpt('word '.repeat(40));
    expect(long.length).toBeLessThanOrEqual(80);
    expect(long.endsWith('word…')).toBe(true);
  });

  it('says what each tool did', () => {
    expect(jobSummary('generate', { prompt: 'a fox' })).toBe('a fox');
    expect(jobSummary('filter', { preset: 'sepia' })).toBe('Filter: sepia');
    expect(jobSummary('upscale', { factor: 4, tier: 'best' })).toBe('Upscale ×4 (best)');
    expect(jobSummary('cutout', {})).toBe('Background removal');
  });

  it('accepts entries with and without the optional facts (entries written before stay valid)', () => {
    const base = { v: 1, accountId: 'a', seq: 1, at: '2026-11-01T00:00:00.000Z', operationId: 'o' };
    const hold = {
      ...base,
      type: 'hold',
      holdId: 'h',
      kind: 'image',
      amount: 6,
      splits: [{ bucketId: 'b', amount: 6 }],
      expiresAt: '2026-11-01T00:15:00.000Z',
    };
    expect(
      EntryBody.safeParse({ ...hold, purpose: { kind: 'job', jobId: 'j', tool: 'generate' } })
        .success,
    ).toBe(true);
    expect(
      EntryBody.safeParse({
        ...hold,
        purpose: { kind: 'job', jobId: 'j', tool: 'generate', summary: 'a fox' },
      }).success,
    ).toBe(true);
    expect(
      EntryBody.safeParse({
        ...hold,
        purpose: { kind: 'job', jobId: 'j', tool: 'generate', summary: '' },
      }).success,
    ).toBe(false);
    expect(
      EntryBody.safeParse({
        ...hold,
        purpose: { kind: 'design', designId: 'd', title: 'Confetti' },
      }).success,
    ).toBe(true);
  });
});
