/** The jobs HTTP API, registered through buildApp's `extend` hook. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  CreateJobRequest,
  Job,
  JobListQuery,
  JobListResponse,
  ToolsResponse,
} from '../../shared/api/jobs';
import type { makeRouter } from '../http/route';
import type { JobsService } from './jobs-service';
import { streamJobEvents } from './sse';
import { registerUploadRoute } from './uploads';

export type Router = ReturnType<typeof makeRouter>;
export type AccountOf = (request: FastifyRequest) => Promise<string>;

export function registerJobRoutes(
  app: FastifyInstance,
  route: Router,
  accountOf: AccountOf,
  jobs: JobsService,
): void {
  registerUploadRoute(app, accountOf, jobs, jobs.maxUploadBytes);
  // Event streams would keep the server from closing until their jobs end.
  const streams = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...streams]) end();
  });

  route(
    {
      method: 'GET',
      path: '/v1/tools',
      summary: 'What this server can run: the generate provider and models, upload limits',
      auth: true,
      response: ToolsResponse,
    },
    async ({ request }) => {
      await accountOf(request);
      return { body: await jobs.tools() };
    },
  );
  route(
    {
      method: 'POST',
      path: '/v1/jobs',
      summary:
        'Start a tool job for the quote the user saw: holds the credits, then queues the job (idempotent by operationId)',
      auth: true,
      body: CreateJobRequest,
      response: Job,
    },
    async ({ request, body }) => {
      const r = await jobs.submit(await accountOf(request), body);
      return { status: r.status, body: r.job };
    },
  );
  route(
    {
      method: 'GET',
      path: '/v1/jobs',
      summary: 'This account’s jobs, newest first',
      auth: true,
      query: JobListQuery,
      response: JobListResponse,
    },
    async ({ request, query }) => ({ body: await jobs.list(await accountOf(request), query) }),
  );
  route(
    {
      method: 'GET',
      path: '/v1/teams/{teamId}/jobs',
      summary:
        'Teams: the runs made on the team wallet by all its members, newest first (members only)',
      auth: true,
      query: JobListQuery,
      response: JobListResponse,
    },
    async ({ request, params, query }) => ({
      body: await jobs.listTeam(await accountOf(request), params.teamId ?? '', query),
    }),
  );
  route(
    { method: 'GET', path: '/v1/jobs/{jobId}', summary: 'A job', auth: true, response: Job },
    async ({ request, params }) => ({
      body: await jobs.get(await accountOf(request), params.jobId ?? ''),
    }),
  );
  route(
    {
      method: 'GET',
      path: '/v1/jobs/{jobId}/events',
      summary: 'Server-Sent Events: state (the whole job) and progress, until a final state',
      auth: true,
    },
    async ({ request, params, reply }) => {
      await streamJobEvents(
        reply,
        jobs,
        await accountOf(request),
        params.jobId ?? '',
        jobs.eventsPollMs,
        streams,
      );
      return { body: null };
    },
  );
  const action = (name: 'cancel' | 'confirm' | 'discard', summary: string): void =>
    route(
      { method: 'POST', path: `/v1/jobs/{jobId}/${name}`, summary, auth: true, response: Job },
      async ({ request, params }) => ({
        body: await jobs[name](await accountOf(request), params.jobId ?? ''),
      }),
    );
  action('cancel', 'Cancel a queued or running job; its hold is released');
  action('confirm', 'Keep a cutout result: captures its hold');
  action('discard', 'Reject a cutout result: releases its hold');

  route(
    {
      method: 'GET',
      path: '/v1/files/{sha256}',
      summary:
        'A stored image (an upload or a job output), to its owner only; a team run’s to the team’s current members',
      auth: true,
    },
    async ({ request, params, reply }) => {
      const file = await jobs.file(await accountOf(request), params.sha256 ?? '');
      reply
        .header('content-type', file.mime)
        .header('content-length', String(file.size))
        .header('cache-control', 'private, max-age=31536000, immutable')
        .header('x-content-type-options', 'nosniff');
      return { body: file.stream };
    },
  );
}
