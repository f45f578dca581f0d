import { describe, expect, it } from 'vitest';
import { mayRefund, returnedNote } from './may-refund';

// docs/architecture.md §14: who may dislike a team image.
describe('mayRefund', () => {
  it('any image of a personal run', () => {
    expect(mayRefund(undefined, 'acc_a', null)).toBe(true);
  });
  it('a team image: the member who ran it, or an owner or admin', () => {
    const run = { memberId: 'acc_a' };
    expect(mayRefund(run, 'acc_a', 'member')).toBe(true);
    expect(mayRefund(run, 'acc_b', 'member')).toBe(false);
    expect(mayRefund(run, 'acc_b', null)).toBe(false);
    expect(mayRefund(run, 'acc_b', 'admin')).toBe(true);
    expect(mayRefund(run, 'acc_b', 'owner')).toBe(true);
  });
});

describe('returnedNote', () => {
  it('a personal image: the credits came back to the creator’s balance', () => {
    expect(returnedNote(6, null)).toBe('6 credits returned');
    expect(returnedNote(1, null)).toBe('1 credit returned');
  });
  it('a team image: says the team wallet got them, not the creator’s own balance', () => {
    expect(returnedNote(6, { name: 'Studio North' })).toBe(
      '6 credits returned to the Studio North team wallet',
    );
    expect(returnedNote(6, { name: null })).toBe('6 credits returned to the team wallet');
  });
});
