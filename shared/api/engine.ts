/**
 * The image engine of an embedded Easel server: which engine it uses, and what the engine said
 * when asked. The desktop app's main process sets it through the server's loopback-only
 * operator endpoint (`/v1/operator/engine`, guarded by a per-launch secret) and shows it in
 * Settings → Image engine. A key travels from the renderer to main once, when it is typed, and
 * from main to the embedded server over loopback; no answer ever carries it back.
 */
import { z } from 'zod';
import { Id } from '../ledger/primitives';
import { ModelCapability } from './jobs';

export const EngineKind = z.enum(['preview', 'comfyui', 'automatic1111', 'openai']);
export type EngineKind = z.infer<typeof EngineKind>;

/** Price-book model id → the engine model that serves it (others are chosen by family). */
export const EngineModelMap = z.record(Id, z.string().min(1).max(300));

/** What the operator endpoint takes: the engine, its address, its key (never answered back). */
export const EngineSettingsInput = z.strictObject({
  kind: EngineKind,
  /** http(s) address of the engine; null for the built-in preview. */
  baseUrl: z.string().url().max(500).nullable(),
  /** OpenAI-compatible: the API key. Automatic1111 with --api-auth: "user:password". */
  key: z.string().min(1).max(500).nullable(),
  models: EngineModelMap,
});
export type EngineSettingsInput = z.infer<typeof EngineSettingsInput>;

const ModelFamily = z.enum(['sd15', 'sdxl', 'flux', 'dall-e-2', 'dall-e-3', 'gpt-image', 'other']);

const EngineModelView = z.strictObject({
  /** What the engine calls it. */
  name: z.string(),
  family: ModelFamily,
  /** The price-book models it serves (by id); empty: it is not offered. */
  servesAs: z.array(z.string()),
});

/** Why an engine could not be used, in a word the app can act on. */
const EngineFailure = z.enum([
  'refused',
  'timeout',
  'wrong-key',
  'wrong-server',
  'unreachable',
  'error',
]);

/** What answered at the address, or exactly why nothing usable did. */
export const EngineReport = z.discriminatedUnion('ok', [
  z.strictObject({
    ok: z.literal(true),
    /** "ComfyUI", "Automatic1111", "OpenAI-compatible images API", "Easel Preview". */
    server: z.string(),
    version: z.string().nullable(),
    device: z
      .strictObject({
        kind: z.enum(['gpu', 'cpu', 'other']),
        name: z.string().nullable(),
        memoryGb: z.number().nullable(),
      })
      .nullable(),
    models: z.array(EngineModelView),
    faceEnhance: z.boolean(),
    /** One sentence: "ComfyUI 0.3.64 answered, on a GPU (…), with 3 models." */
    summary: z.string(),
  }),
  z.strictObject({ ok: z.literal(false), failure: EngineFailure, message: z.string() }),
]);
export type EngineReport = z.infer<typeof EngineReport>;

/** The engine in use: its settings without the key, what it said, and what it makes offered. */
export const EngineState = z.strictObject({
  kind: EngineKind,
  baseUrl: z.string().nullable(),
  hasKey: z.boolean(),
  models: EngineModelMap,
  report: EngineReport,
  /** Every priced model with whether this engine serves it and why not. */
  capabilities: z.array(ModelCapability),
});
export type EngineState = z.infer<typeof EngineState>;

/** A test of settings not (yet) in use: what answered and what it would offer. */
export const EngineTestResult = z.strictObject({
  report: EngineReport,
  capabilities: z.array(ModelCapability),
});
export type EngineTestResult = z.infer<typeof EngineTestResult>;

/** The header that carries the operator secret. */
export const OPERATOR_HEADER = 'x-easel-operator';
