import { describe, expect, it } from 'vitest';
import { offerText } from './offer-text';

describe('offerText', () => {
  it('states a free plan of monthly credits instead of daily ones (docs/architecture.md §2)', () => {
    const text = offerText(
      {
        welcome: null,
        dailyCredits: 0,
        monthly: { credits: 50, expiresInDays: 30 },
        password: { minLength: 10, maxLength: 200 },
      },
      new Date('2026-11-02T10:00:00.000Z'),
    );
    expect(text).toBe("50 credits free each month you use Easel (each month's valid for 30 days).");
  });
});
