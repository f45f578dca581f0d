import { describe, expect, it } from 'vitest';
import { parseEaselLink } from './links';
import { TeamInviteLink, teamInviteLink } from './teams';

// docs/architecture.md §14: an invite link opens the app, which offers to join.
const token = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde';

describe('team invite links', () => {
  it('reads the link the server shows to its token', () => {
    expect(token).toHaveLength(43);
    expect(TeamInviteLink.parse(teamInviteLink(token))).toEqual({ token });
    expect(parseEaselLink(teamInviteLink(token))).toEqual({ kind: 'team-invite', token });
    // A trailing slash and surrounding space (a pasted link) are the same link.
    expect(TeamInviteLink.parse(`  easel://team-invite/?token=${token}\n`)).toEqual({ token });
  });

  it.each([
    ['a short token', `easel://team-invite?token=${token.slice(1)}`],
    ['a long token', `easel://team-invite?token=${token}A`],
    ['a token with other characters', `easel://team-invite?token=${token.slice(1)}+`],
    ['an empty token', 'easel://team-invite?token='],
    ['no token', 'easel://team-invite'],
    ['another scheme', `https://team-invite?token=${token}`],
    ['a web address', `https://easel.example/team-invite?token=${token}`],
    ['a lookalike scheme', `easels://team-invite?token=${token}`],
    ['another host', `easel://team-invites?token=${token}`],
    ['a path', `easel://team-invite/accept?token=${token}`],
    ['an extra parameter', `easel://team-invite?token=${token}&next=https://evil.example`],
    ['the token twice', `easel://team-invite?token=${token}&token=${token}`],
    ['a fragment', `easel://team-invite?token=${token}#more`],
    ['a user', `easel://someone@team-invite?token=${token}`],
    ['a port', `easel://team-invite:4780?token=${token}`],
    ['junk after the link', `easel://team-invite?token=${token} and more`],
    ['not a link', 'join my team'],
    ['a very long link', `easel://team-invite?token=${token}${'&x=1'.repeat(60)}`],
  ])('refuses %s', (_what, raw) => {
    const r = TeamInviteLink.safeParse(raw);
    expect(r.success).toBe(false);
    if (!r.success) expect(r.error.issues[0]?.message).toMatch(/not a team invite link|too big/i);
    expect(parseEaselLink(raw)?.kind).not.toBe('team-invite');
  });

  it('leaves the other links as they were', () => {
    expect(parseEaselLink('easel://sync')).toEqual({ kind: 'sync' });
    expect(parseEaselLink('easel://delete-everything')).toBeNull();
  });
});
