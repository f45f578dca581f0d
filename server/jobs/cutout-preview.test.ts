import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../shared/api/jobs';
import { ballPng } from '../engines/test-images';
import { backends } from '../testing/harness';
import {
  type Headers,
  type JobsTestServer,
  balance,
  funded,
  holdHistory,
  jobsTestServer,
  opId,
  quoteFor,
  startJob,
  uploadId,
  waitJob,
} from './test-kit';

/**
 * docs/architecture.md §8: before a cutout is confirmed only a downscaled, marked preview is
 * served; the full result only after the capture; the job's hold cannot be settled through the
 * public hold API.
 */
describe.each(backends)('cutout previews on %s', (backend) => {
  let s: JobsTestServer;
  beforeAll(async () => {
    s = await jobsTestServer(backend);
  });
  afterAll(async () => s.close());

  const get = (url: string, headers: Headers) => s.app.inject({ method: 'GET', url, headers });
  const post = (url: string, headers: Headers, payload?: object) =>
    s.app.inject({ method: 'POST', url, headers, ...(payload ? { payload } : {}) });
  const fullFiles = async (jobId: string) =>
    (
      await s.t.db.query<{ sha256: string; width: number }>(
        'select sha256, width from job_outputs where job_id = $1 order by idx',
        [jobId],
      )
    ).rows;

  async function awaitingCutout(headers: Headers, size: number): Promise<Job> {
    const up = await uploadId(s, headers, await ballPng(size, size));
    const q = await quoteFor(s, { tool: 'cutout', width: up.width, height: up.height });
    const job = await startJob(s, headers, {
      operationId: opId(),
      tool: 'cutout',
      params: { uploadId: up.uploadId },
      quote: q,
    });
    const done = await waitJob(s, headers, job.jobId);
    expect(done.state).toBe('awaiting-confirm');
    return done;
  }

  it('serves a small marked preview until confirm, and the full result only after the capture', async () => {
    const u = await funded(s);
    const job = await awaitingCutout(u.headers, 96);
    const full = await fullFiles(job.jobId);
    expect(full.map((f) => f.width)).toEqual([96, 96]);
    expect(job.outputs.map((o) => [o.role, o.width, o.height])).toEqual([
      ['image', 48, 48],
      ['mask', 48, 48],
    ]);
    for (const o of job.outputs) expect(full.map((f) => f.sha256)).not.toContain(o.sha256);
    const preview = await get(job.outputs[0]!.url, u.headers);
    expect(preview.statusCode).toBe(200);
    expect(await sharp(preview.rawPayload).metadata()).toMatchObject({ width: 48, height: 48 });
    // The full files are not served before the capture.
    for (const f of full)
      expect((await get(`/v1/files/${f.sha256}`, u.headers)).statusCode).toBe(404);

    const confirmed = await post(`/v1/jobs/${job.jobId}/confirm`, u.headers);
    expect(confirmed.json()).toMatchObject({ state: 'confirmed', charged: 1 });
    const after = confirmed.json<Job>();
    expect(after.outputs.map((o) => o.sha256)).toEqual(full.map((f) => f.sha256));
    const served = await get(after.outputs[0]!.url, u.headers);
    expect(served.statusCode).toBe(200);
    expect(await sharp(served.rawPayload).metadata()).toMatchObject({ width: 96, height: 96 });
    // Marked: the preview is not just the result made smaller.
    const raw = (png: Buffer) =>
      sharp(png).resize({ width: 48, height: 48, fit: 'fill' }).ensureAlpha().raw().toBuffer();
    const [a, b] = [await raw(preview.rawPayload), await raw(served.rawPayload)];
    let differ = 0;
    for (let i = 0; i < a.length; i += 4)
      if (Math.abs((a[i] ?? 0) - (b[i] ?? 0)) + Math.abs((a[i + 3] ?? 0) - (b[i + 3] ?? 0)) > 40)
        differ++;
    expect(differ / (48 * 48)).toBeGreaterThan(0.15);
  });

  it('a discarded cutout never serves its full result, and costs nothing', async () => {
    const u = await funded(s);
    const before = await balance(s, u.headers);
    const job = await awaitingCutout(u.headers, 80);
    const full = await fullFiles(job.jobId);
    const discarded = await post(`/v1/jobs/${job.jobId}/discard`, u.headers);
    expect(discarded.json()).toMatchObject({ state: 'discarded', charged: 0, outputs: [] });
    for (const f of full)
      expect((await get(`/v1/files/${f.sha256}`, u.headers)).statusCode).toBe(404);
    expect((await get(job.outputs[0]!.url, u.headers)).statusCode).toBe(404);
    expect((await balance(s, u.headers)).balance).toBe(before.balance);
  });

  it("refuses to release or capture a job's hold through the hold API", async () => {
    const u = await funded(s);
    const job = await awaitingCutout(u.headers, 64);
    const release = await post(`/v1/ledger/holds/${job.holdId}/release`, u.headers, {
      operationId: opId('release'),
      reason: 'released',
    });
    expect(release.statusCode, release.body).toBe(409);
    expect(release.json().error.code).toBe('hold-belongs-to-job');
    const capture = await post(`/v1/ledger/holds/${job.holdId}/capture`, u.headers, {
      operationId: opId('capture'),
      amount: 0,
    });
    expect(capture.statusCode, capture.body).toBe(409);
    expect(capture.json().error.code).toBe('hold-belongs-to-job');
    expect(await holdHistory(s, u.headers, job.holdId)).toEqual([{ type: 'hold', amount: 1 }]);
    // The job still decides.
    const confirmed = await post(`/v1/jobs/${job.jobId}/confirm`, u.headers);
    expect(confirmed.json()).toMatchObject({ state: 'confirmed', charged: 1 });
  });
});
