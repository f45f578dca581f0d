import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MINUTE } from '../clock';
import { backends } from '../testing/harness';
import { type StandIn, hangingEngine, standIn } from './stand-ins';
import {
  type JobsTestServer,
  balance,
  funded,
  getJob,
  hangingJob,
  holdHistory,
  inState,
  jobsTestServer,
  opId,
  quoteFor,
  uploadId,
  waitJob,
} from './test-kit';
import { gradientPng } from '../engines/test-images';

describe.each(backends)('jobs across restarts and instances on %s', (backend) => {
  let s: JobsTestServer;
  let slow: StandIn;

  beforeAll(async () => {
    slow = await standIn(hangingEngine);
    s = await jobsTestServer(backend, {
      generate: { provider: { kind: 'openai', baseUrl: slow.baseUrl, apiKey: 'k' } },
    });
  });
  afterAll(async () => {
    await s.close();
    await slow.close();
  });

  it('a job left running by a process that died is failed and released once at the next start', async () => {
    // "Before the crash": an instance running a job that will never finish by itself.
    const old = await s.another({ heartbeatMs: 50 });
    const u = await funded(s);
    const before = await balance(s, u.headers);
    const job = await hangingJob(s, u.headers, old.app);
    await waitJob(s, u.headers, job.jobId, inState('running'), 10_000, old.app);
    expect((await balance(s, u.headers)).held).toBe(6);

    // "After the restart": the only process on this database recovers at start.
    const restarted = await s.another({ exclusive: true });
    expect(await restarted.jobs.recoverJobs()).toBe(1);
    const failed = (await getJob(s, u.headers, job.jobId, restarted.app)).json();
    expect(failed).toMatchObject({
      state: 'failed',
      charged: 0,
      error: { code: 'interrupted' },
    });
    expect(await balance(s, u.headers)).toMatchObject({ balance: before.balance, held: 0 });
    // The old instance notices at its next heartbeat and stops; nothing is released twice.
    await expect.poll(() => slow.hanging, { timeout: 5000 }).toBe(0);
    await old.jobs.close();
    expect(await holdHistory(s, u.headers, job.holdId)).toEqual([
      { type: 'hold', amount: 6 },
      { type: 'release', amount: 6, reason: 'failed' },
    ]);
    expect(await restarted.jobs.recoverJobs()).toBe(0);
  });

  it('with several instances, only jobs whose heartbeat went stale are taken over', async () => {
    const busy = await s.another({ heartbeatMs: 0 });
    const peer = await s.another({ exclusive: false, staleAfterMs: 90_000 });
    const u = await funded(s);
    const job = await hangingJob(s, u.headers, busy.app);
    await waitJob(s, u.headers, job.jobId, inState('running'), 10_000, busy.app);
    expect(await peer.jobs.recoverJobs()).toBe(0); // its instance may well be alive
    expect(await peer.jobs.sweep()).toBe(0);
    s.t.clock.advance(2 * MINUTE);
    expect(await peer.jobs.sweep()).toBe(1);
    expect((await getJob(s, u.headers, job.jobId, peer.app)).json()).toMatchObject({
      state: 'failed',
      error: { code: 'interrupted' },
    });
    // When the stalled instance shuts down, it does not settle the job a second time.
    await busy.jobs.close();
    expect(await holdHistory(s, u.headers, job.holdId)).toEqual([
      { type: 'hold', amount: 6 },
      { type: 'release', amount: 6, reason: 'failed' },
    ]);
  });

  it('the sweep fails a job this instance recorded but lost track of, and releases its hold', async () => {
    const u = await funded(s);
    const lost = await s.another({});
    // A job row as a settle that crashed midway would leave it: running, on an instance that
    // is alive but no longer running it.
    const hold = await s.t.services.ledger.hold(
      u.accountId,
      {
        operationId: opId(),
        kind: 'image',
        amount: 6,
        purpose: { kind: 'job', jobId: 'job_lost', tool: 'cutout' },
      },
      async (ctx, holdId) => {
        await ctx.tx.query(
          `insert into jobs (id, account_id, operation_id, request_hash, tool, params, quote_request, credits,
             price_book_version, hold_id, hold_expires_at, state, runner_id, heartbeat_at, created_at, updated_at)
           values ('job_lost', $1, 'op-lost-1', 'x', 'cutout', '{"uploadId":"up_x"}', '{}', 6, 1, $2, $3,
             'running', $4, $5, $5, $5)`,
          [u.accountId, holdId, '2026-11-03T00:00:00.000Z', lost.jobs.instanceId, ctx.now],
        );
      },
    );
    expect(await s.jobs.sweep()).toBe(0); // another live instance's job: not this one's business
    expect(await lost.jobs.sweep()).toBe(1);
    expect((await getJob(s, u.headers, 'job_lost')).json()).toMatchObject({
      state: 'failed',
      charged: 0,
      error: { code: 'interrupted' },
    });
    expect(await holdHistory(s, u.headers, hold.body.holdId)).toEqual([
      { type: 'hold', amount: 6 },
      { type: 'release', amount: 6, reason: 'failed' },
    ]);
  });

  it('shutting down fails queued and running jobs, releases their holds and ends event streams', async () => {
    const closing = await s.another({ maxQueue: 2 });
    const u = await funded(s);
    const running = await hangingJob(s, u.headers, closing.app);
    const queued = await hangingJob(s, u.headers, closing.app);
    await waitJob(s, u.headers, running.jobId, inState('running'), 10_000, closing.app);
    const stream = closing.app.inject({
      method: 'GET',
      url: `/v1/jobs/${running.jobId}/events`,
      headers: u.headers,
    });
    await new Promise((r) => setTimeout(r, 100));
    await closing.app.close(); // would wait for the stream if the stream did not end
    expect((await stream).statusCode).toBe(200);
    await closing.jobs.close();
    for (const j of [running, queued]) {
      expect((await getJob(s, u.headers, j.jobId)).json()).toMatchObject({
        state: 'failed',
        error: { code: 'shutdown' },
      });
      expect(await holdHistory(s, u.headers, j.holdId)).toEqual([
        { type: 'hold', amount: 6 },
        { type: 'release', amount: 6, reason: 'failed' },
      ]);
    }
    const up = await uploadId(s, u.headers, await gradientPng(20, 20));
    await expect(
      closing.jobs.submit(u.accountId, {
        operationId: opId(),
        tool: 'cutout',
        params: { uploadId: up.uploadId },
        quote: await quoteFor(s, { tool: 'cutout', width: 20, height: 20 }),
      }),
    ).rejects.toMatchObject({ status: 503, code: 'closing' });
    expect((await balance(s, u.headers)).held).toBe(0);
  });
});
