/**
 * GET /v1/jobs/{id}/events: Server-Sent Events with the job's state changes (`event: state`,
 * the whole job), progress (`event: progress`, with the engine's stage and ETA) and previews of
 * the image being made (`event: preview`). The stream starts with the job as it is and
 * ends at a final state. Events come from this instance as they happen; the job is also re-read
 * every few seconds, which catches changes made by other instances (a confirm, an expiry).
 */
import type { FastifyReply } from 'fastify';
import { type Job, type JobEvent, isFinalJobState } from '../../shared/api/jobs';
import type { JobsService } from './jobs-service';

const KEEP_ALIVE_MS = 15_000;

export async function streamJobEvents(
  reply: FastifyReply,
  jobs: JobsService,
  accountId: string,
  jobId: string,
  pollMs: number,
  /** Open streams, so the server can end them when it closes. */
  open: Set<() => void>,
): Promise<void> {
  const pending: JobEvent[] = [];
  let started = false;
  let finished = false;
  let lastState = '';
  let lastProgress = '';
  const timers: NodeJS.Timeout[] = [];
  const raw = reply.raw;

  const write = (event: JobEvent): void => {
    if (finished) return;
    raw.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
  };
  const finish = (): void => {
    if (finished) return;
    finished = true;
    open.delete(finish);
    for (const t of timers) clearInterval(t);
    unsubscribe();
    raw.end();
  };
  const progress = (
    fraction: number,
    stage: string | null = null,
    etaSeconds: number | null = null,
  ): void => {
    const key = `${fraction}|${stage ?? ''}|${etaSeconds ?? ''}`;
    if (key === lastProgress) return;
    lastProgress = key;
    write({ type: 'progress', jobId, progress: fraction, stage, etaSeconds });
  };
  const state = (job: Job): void => {
    // Progress has its own events; a state event is sent when something else changed.
    const key = JSON.stringify([job.state, job.charged, job.error, job.outputs.length]);
    if (key === lastState) {
      // A re-read job running on another instance: its progress as last written.
      if (job.state === 'running')
        progress(job.progress, job.stage ?? null, job.etaSeconds ?? null);
      return;
    }
    lastState = key;
    lastProgress = `${job.progress}|${job.stage ?? ''}|${job.etaSeconds ?? ''}`;
    write({ type: 'state', job });
    if (isFinalJobState(job.state)) finish();
  };
  const deliver = (event: JobEvent): void => {
    if (!started) {
      pending.push(event);
      return;
    }
    if (event.type === 'state') state(event.job);
    else if (event.type === 'progress')
      progress(event.progress, event.stage ?? null, event.etaSeconds ?? null);
    else write(event);
  };

  // Subscribe before reading, so no change falls between the two.
  const unsubscribe = jobs.subscribe(jobId, deliver);
  let first: Job;
  try {
    first = await jobs.get(accountId, jobId);
  } catch (error) {
    unsubscribe();
    throw error; // 404 as an ordinary answer
  }
  reply.hijack();
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  raw.on('close', finish);
  open.add(finish);
  started = true;
  state(first);
  // A watcher that arrives mid-run sees the latest preview at once.
  const preview = jobs.lastPreview(jobId);
  if (preview && !isFinalJobState(first.state)) write(preview);
  for (const event of pending.splice(0)) deliver(event);
  if (finished) return;
  const poll = setInterval(() => {
    jobs.get(accountId, jobId).then(state, () => finish());
  }, pollMs);
  const keepAlive = setInterval(() => {
    if (!finished) raw.write(': keep-alive\n\n');
  }, KEEP_ALIVE_MS);
  poll.unref();
  keepAlive.unref();
  timers.push(poll, keepAlive);
}
