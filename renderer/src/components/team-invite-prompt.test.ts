import { describe, expect, it } from 'vitest';
import type { InvitePreview } from '../../../shared/api/teams';
import { refusal } from './team-invite-prompt';

// docs/architecture.md §14: an invite link that cannot be taken says why, in a sentence.
const preview = (state: InvitePreview['state']): InvitePreview => ({
  teamName: 'Studio North',
  email: 'ada@example.com',
  role: 'member',
  expiresAt: '2026-12-09T10:00:00.000Z',
  state,
});

describe('team invite prompt', () => {
  it('offers to join an open invite, and says why for the others', () => {
    expect(refusal(preview('open'), 'ada@example.com')).toBeNull();
    expect(refusal(preview('used'), 'ada@example.com')).toBe(
      'This invite has already been used. Ask the team for a new one.',
    );
    expect(refusal(preview('expired'), 'ada@example.com')).toMatch(
      /^This invite expired on .*2026.*\. Ask the team for a new one\.$/,
    );
    expect(refusal(preview('other-email'), 'bob@example.com')).toBe(
      'This invite is for ada@example.com, and you are signed in as bob@example.com. Sign out and sign in with ada@example.com to join.',
    );
    expect(refusal(preview('member'), 'ada@example.com')).toBe(
      'You are already a member of Studio North.',
    );
  });
});
