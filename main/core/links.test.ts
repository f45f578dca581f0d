import { describe, expect, it } from 'vitest';
import { teamInviteLink } from '../../shared/api/teams';
import { linkInArgs } from './links';

describe('links in a second instance’s arguments (docs/architecture.md §14)', () => {
  it('finds the easel:// link among the other arguments, or none', () => {
    const link = teamInviteLink('AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde');
    expect(linkInArgs(['/opt/Easel/easel', '--no-sandbox', link])).toBe(link);
    expect(linkInArgs(['/opt/Easel/easel', '--no-sandbox', 'https://easel.example'])).toBeNull();
  });
});
