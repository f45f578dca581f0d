import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { unreachableFolderForOthers } from './support/postgres';

// As root the embedded PostgreSQL runs as another user: a checkout in a 0700 folder must be named
// in the error, not fail later inside initdb with EACCES.
describe('embedded PostgreSQL set-up', () => {
  const top = mkdtempSync(join(tmpdir(), 'easel-reach-'));
  afterAll(() => rmSync(top, { recursive: true, force: true }));

  it('names the folder other users cannot enter above a path', () => {
    const closed = join(top, 'closed');
    const inner = join(closed, 'repo', 'node_modules');
    mkdirSync(inner, { recursive: true });
    chmodSync(top, 0o755);
    chmodSync(closed, 0o700);
    expect(unreachableFolderForOthers(inner)).toBe(closed);
    chmodSync(closed, 0o755);
    expect(unreachableFolderForOthers(inner)).toBeNull();
  });
});
