import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { Id } from '../../shared/ledger/primitives';
import { HttpError } from './errors';

export interface RouteDoc {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  summary: string;
  auth: boolean;
  body?: z.ZodType;
  query?: z.ZodType;
  response?: z.ZodType;
}

export interface Handled {
  status?: number;
  body: unknown;
}

/** A response body that is already JSON text (sent as is, never re-serialised). */
export class JsonText {
  constructor(readonly text: string) {}
}

/** Parses with a zod schema, turning failures into a 400 that says which field and why. */
export function parseOr400<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: string,
): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    const path = issue?.path.length ? issue.path.join('.') : where;
    throw new HttpError(400, 'invalid-request', `${path}: ${issue?.message ?? 'invalid'}`, {
      issues: r.error.issues.slice(0, 5),
    });
  }
  return r.data;
}

/**
 * The path's parameters, each checked with the shared `Id` schema: a NUL byte, a slash or an
 * over-long value is a 400 that names the parameter, never a query that fails (a 500).
 */
function parseParams(path: string, raw: unknown): Record<string, string> {
  const given = (raw ?? {}) as Record<string, unknown>;
  const params: Record<string, string> = {};
  for (const [, name] of path.matchAll(/\{(\w+)\}/g)) {
    if (name) params[name] = parseOr400(Id, given[name], name);
  }
  return params;
}

/**
 * Registers a route whose body, query and path parameters are validated by zod schemas from shared/, and
 * records it for the OpenAPI document. Handlers receive parsed input only.
 */
export function makeRouter(app: FastifyInstance, docs: RouteDoc[]) {
  return function route<B extends z.ZodType = z.ZodUnknown, Q extends z.ZodType = z.ZodUnknown>(
    doc: Omit<RouteDoc, 'body' | 'query'> & { body?: B; query?: Q },
    handler: (input: {
      body: z.output<B>;
      query: z.output<Q>;
      params: Record<string, string>;
      request: FastifyRequest;
      reply: FastifyReply;
    }) => Promise<Handled>,
  ): void {
    docs.push(doc);
    app.route({
      method: doc.method,
      url: doc.path.replace(/\{(\w+)\}/g, ':$1'),
      handler: async (request, reply) => {
        const body = (
          doc.body ? parseOr400(doc.body, request.body, 'body') : undefined
        ) as z.output<B>;
        const query = (
          doc.query ? parseOr400(doc.query, request.query ?? {}, 'query') : undefined
        ) as z.output<Q>;
        const params = parseParams(doc.path, request.params);
        const result = await handler({ body, query, params, request, reply });
        if (reply.sent) return reply;
        reply.code(result.status ?? 200);
        if (result.body instanceof JsonText) {
          return reply.type('application/json; charset=utf-8').send(result.body.text);
        }
        return reply.send(result.body);
      },
    });
  };
}

/** The OpenAPI 3.1 document, built from the same zod schemas the routes validate with. */
export function openApiDocument(docs: RouteDoc[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  const json = (schema: z.ZodType) =>
    z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  for (const d of docs) {
    const op: Record<string, unknown> = {
      summary: d.summary,
      ...(d.auth ? { security: [{ bearer: [] }] } : {}),
      ...(d.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: json(d.body) } },
            },
          }
        : {}),
      responses: {
        '200': {
          description: 'OK',
          ...(d.response ? { content: { 'application/json': { schema: json(d.response) } } } : {}),
        },
        '4XX': { description: 'A clear error: { error: { code, message } }' },
      },
    };
    const params = [...d.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: json(Id),
    }));
    if (params.length) op.parameters = params;
    (paths[d.path] ??= {})[d.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Easel API', version: '1' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths,
  };
}
