import { describe, expect, it } from 'vitest';
import { mayRefund } from './may-refund';

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
