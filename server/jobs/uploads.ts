/**
 * POST /v1/uploads: the raw image as the body (content-type image/png, image/jpeg or image/webp;
 * any image/* or application/octet-stream is read, so that a GIF or HEIC is told apart from
 * garbage by its bytes). The binary body parser lives in its own encapsulated plugin so the
 * rest of the API keeps parsing JSON only. The account is checked before the body is read.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { UploadResponse } from '../../shared/api/jobs';
import { HttpError } from '../http/errors';
import type { JobsService } from './jobs-service';

export function registerUploadRoute(
  app: FastifyInstance,
  accountOf: (request: FastifyRequest) => Promise<string>,
  jobs: JobsService,
  maxBytes: number,
): void {
  void app.register(async (scope) => {
    const accounts = new WeakMap<FastifyRequest, string>();
    const keepBytes = (
      _request: FastifyRequest,
      body: Buffer,
      done: (error: Error | null, body?: Buffer) => void,
    ): void => done(null, body);
    scope.addContentTypeParser(/^image\//, { parseAs: 'buffer', bodyLimit: maxBytes }, keepBytes);
    scope.addContentTypeParser(
      'application/octet-stream',
      { parseAs: 'buffer', bodyLimit: maxBytes },
      keepBytes,
    );
    scope.post(
      '/v1/uploads',
      {
        bodyLimit: maxBytes,
        onRequest: async (request) => {
          accounts.set(request, await accountOf(request));
        },
      },
      async (request, reply) => {
        const accountId = accounts.get(request);
        if (accountId === undefined) throw new HttpError(401, 'unauthorized', 'sign in again');
        const body: unknown = request.body;
        let bytes: Uint8Array;
        if (Buffer.isBuffer(body))
          bytes = new Uint8Array(body.buffer, body.byteOffset, body.length);
        else if (body === undefined || body === null) bytes = new Uint8Array(0);
        else
          throw new HttpError(
            415,
            'unsupported-media-type',
            'send the image bytes as the body with content-type image/png, image/jpeg or image/webp',
          );
        const uploaded = UploadResponse.parse(await jobs.upload(accountId, bytes));
        return reply.code(201).send(uploaded);
      },
    );
  });
}
