import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient } from '../main/clients/http';
import { TeamsClient } from '../main/clients/teams';
import { KeyRing } from '../main/sync/key-ring';
import { type TestServer, opId, signUp, testServer } from '../server/testing/harness';

/**
 * docs/architecture.md §14: main verifies a team wallet's chain against the server's signed
 * checkpoints, keeps it, and shows it offline only after verifying the stored copy again; an
 * edited copy is refused offline and replaced online.
 */
describe('the team wallet in main: verified, kept, checked again offline', () => {
  let t: TestServer;
  let dir: string;
  let base = '';
  let teams: TeamsClient;
  let teamId = '';
  let accountId = '';
  beforeAll(async () => {
    t = await testServer('pglite', { ledger: { dailyCreditsByPlan: {} } });
    const url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = url;
    dir = await mkdtemp(join(tmpdir(), 'easel-team-cache-'));
    const owner = await signUp(t.app);
    const member = await signUp(t.app);
    const team = await t.services.teams.create(owner.accountId, 'Cache');
    teamId = team.teamId;
    accountId = team.accountId;
    const invite = await t.services.teams.invite(teamId, owner.accountId, {
      email: member.email,
      role: 'member',
    });
    await t.services.teams.accept(member.accountId, invite.token);
    await t.services.ledger.grant(accountId, {
      operationId: opId('fund'),
      amount: 500,
      source: 'pack',
      reason: 'test',
    });
    const h = await t.services.teamWallet.hold(teamId, member.accountId, {
      operationId: opId('hold'),
      kind: 'image',
      amount: 40,
      projectId: null,
      purpose: { kind: 'job', jobId: 'j1', tool: 'generate' },
    });
    await t.services.teamWallet.capture(teamId, member.accountId, h.body.holdId, {
      operationId: opId('cap'),
      amount: 40,
    });
    const http = new HttpClient({ baseUrl: () => base, token: async () => member.token });
    teams = new TeamsClient(http, new KeyRing(http, dir), dir);
  });
  afterAll(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('online: pulled and verified; offline: the stored copy, verified again', async () => {
    const online = await teams.wallet(teamId, accountId);
    expect(online).toMatchObject({ fresh: true, balance: 460, seq: 3 });
    expect(online.rows[0]).toMatchObject({ type: 'capture', credits: -40 });
    base = 'http://127.0.0.1:1'; // nothing listens there
    const offline = await teams.wallet(teamId, accountId);
    expect(offline).toMatchObject({ fresh: false, balance: 460, seq: 3 });
  });

  it('an edited copy is refused offline, and replaced by a fresh pull online', async () => {
    const path = join(dir, 'teams', `${teamId}.json`);
    const text = await readFile(path, 'utf8');
    expect(text).toContain('\\"amount\\":40');
    await writeFile(path, text.replaceAll('\\"amount\\":40', '\\"amount\\":4'));
    base = 'http://127.0.0.1:1';
    await expect(teams.wallet(teamId, accountId)).rejects.toMatchObject({
      code: 'verification-failed',
    });
    base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    expect(await teams.wallet(teamId, accountId)).toMatchObject({ fresh: true, balance: 460 });
    base = 'http://127.0.0.1:1';
    expect(await teams.wallet(teamId, accountId)).toMatchObject({ fresh: false, balance: 460 });
  });
});
