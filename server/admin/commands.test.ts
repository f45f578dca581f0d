import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPriceBook } from '../../shared/pricing/fixtures/default';
import { type TestServer, testServer } from '../testing/harness';
import { commands } from './commands';

describe('admin commands', () => {
  let t: TestServer;
  const dir = mkdtempSync(join(tmpdir(), 'easel-admin-'));
  beforeAll(async () => {
    t = await testServer('pglite');
  });
  afterAll(async () => t.close());
  const run = (name: string, ...args: string[]) => commands[name]!.run(t.services, args);
  const who = ['--operator', 'Ada Ops'];

  it('creates an account, grants and revokes with a reason, verifies and exports the chain', async () => {
    expect(
      await run(
        'create-account',
        '--email',
        'op@example.com',
        '--password',
        'correct horse battery',
      ),
    ).toMatch(/created account acct_/);
    expect(
      await run(
        'grant',
        '--account',
        'op@example.com',
        '--amount',
        '100',
        '--reason',
        'support gesture',
        '--expires-days',
        '30',
        '--operator',
        'Ada Ops',
      ),
    ).toMatch(/granted 100/);
    expect(
      await run(
        'revoke',
        '--account',
        'op@example.com',
        '--amount',
        '30',
        '--reason',
        'duplicate grant',
        '--operator',
        'Ada Ops',
      ),
    ).toMatch(/revoked 30/);
    await expect(
      run(
        'revoke',
        '--account',
        'op@example.com',
        '--amount',
        '1000',
        '--reason',
        'too much',
        ...who,
      ),
    ).rejects.toThrow(/not enough/);
    await expect(
      run(
        'grant',
        '--account',
        'op@example.com',
        '--amount',
        '1.5',
        '--reason',
        'fraction',
        ...who,
      ),
    ).rejects.toThrow(/--amount/);
    await expect(
      run('grant', '--account', 'nobody@example.com', '--amount', '1', '--reason', 'ghost', ...who),
    ).rejects.toThrow(/not found/);
    expect(await run('verify', '--account', 'op@example.com')).toMatch(
      /^ok: 3 entries.*"image":90/,
    );
    const csv = (await run('export', '--account', 'op@example.com')).split('\n');
    expect(csv[0]).toBe('seq,at,type,operation_id,kind,amount,detail,hash');
    expect(csv).toHaveLength(4);
    expect(csv[3]).toMatch(/^3,.*,spend,admin:/);
    const json = JSON.parse(
      await run('export', '--account', 'op@example.com', '--format', 'json'),
    ) as Array<{ body: { type: string } }>;
    expect(json.map((e) => e.body.type)).toEqual(['grant', 'grant', 'spend']);
  });

  it('publishes a newer price book and adds a design; refuses an old version', async () => {
    const file = join(dir, 'book.json');
    writeFileSync(file, JSON.stringify({ ...defaultPriceBook, version: 2 }));
    expect(await run('publish-price-book', '--file', file)).toMatch(/version 2/);
    await expect(run('publish-price-book', '--file', file)).rejects.toThrow(/above 2/);
    expect((await t.services.catalog.priceBook()).book.version).toBe(2);
    const svg = join(dir, 'd.svg');
    writeFileSync(svg, '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>');
    expect(
      await run(
        'add-design',
        '--id',
        'poster-1',
        '--title',
        'Poster',
        '--price-cents',
        '250',
        '--file',
        svg,
      ),
    ).toBe('added design poster-1');
    await expect(
      run(
        'add-design',
        '--id',
        'poster-1',
        '--title',
        'Poster',
        '--price-cents',
        '250',
        '--file',
        svg,
      ),
    ).rejects.toThrow(/exists/);
  });
});
