/**
 * Which engine serves which price-book model. 'easel-preview' is the offline preview engine
 * whatever is configured. Every other priced model is served by one model of the configured
 * engine: the one the operator mapped to it, or else the engine's first model of the family
 * that model stands for (see `serves`). The engine is asked what it has (its probe) and the
 * answer kept for a while, so:
 *
 * - an engine model that serves no priced model is not offered;
 * - a priced model the engine cannot serve is listed unavailable, with the reason;
 * - when the engine cannot be reached, its models are unavailable and say why.
 *
 * The engine can be changed while the server runs (`configure`, used by the embedded server's
 * operator endpoint), without a restart.
 */
import type { ModelCapability } from '../../shared/api/jobs';
import {
  type EngineModel,
  type EngineProbe,
  PREVIEW_PROVIDER_ID,
  type ModelFamily,
  ProviderError,
  type ProviderConfig,
  type ProviderErrorCode,
  createProvider,
} from '../engines/index';
import type { GenerateConfig } from './config';

export interface ProviderChoice {
  config: ProviderConfig;
  id: string;
  label: string;
  /** The model name sent to the provider. */
  model: string;
}

/** What the engine said when asked last, or why it could not be asked. */
export type EngineStatus =
  | { state: 'preview' }
  | { state: 'ready'; probe: EngineProbe; checkedAt: number }
  | { state: 'unreachable'; code: ProviderErrorCode; message: string; checkedAt: number }
  /** The engine answers but cannot list its models (a compatible API without /v1/models). */
  | { state: 'unlisted'; message: string; checkedAt: number };

/** Why a model cannot be served: a ProviderError code and a sentence. */
export interface Unavailable {
  code: ProviderErrorCode;
  reason: string;
}

const preview: ProviderConfig = { kind: 'preview' };

/**
 * The families (and, for OpenAI, the model names, best first) each priced model of the default
 * price book stands for: Standard is SD 1.5-class, Pro SDXL-class, Ultra Flux-class.
 */
const serves: Record<string, { families: ModelFamily[]; openai: string[]; what: string }> = {
  standard: {
    families: ['sd15'],
    openai: ['gpt-image-1-mini', 'dall-e-2'],
    what: 'an SD 1.5 model',
  },
  pro: { families: ['sdxl'], openai: ['gpt-image-1', 'dall-e-3'], what: 'SDXL model' },
  ultra: {
    families: ['flux'],
    openai: ['gpt-image-2', 'gpt-image-1.5', 'chatgpt-image-latest'],
    what: 'Flux-class model',
  },
};

function describe(config: ProviderConfig): { id: string; label: string } {
  const provider = createProvider(config);
  return { id: provider.id, label: provider.label };
}

/**
 * A sentence without the engine's address, for everyone a server serves: the operator's
 * internal addresses (a GPU box on its network) are none of its users' business. The operator
 * endpoint keeps them.
 */
export function withoutAddresses(text: string): string {
  return text
    .replace(/ at https?:\/\/[^\s;,)]+?(?=[:;,)]?(\s|$))/g, '')
    .replace(/https?:\/\/[^\s;,)]+/g, 'its address');
}

/** The engine's name and address, for sentences. */
function engineName(config: ProviderConfig): string {
  switch (config.kind) {
    case 'preview':
      return 'the built-in preview';
    case 'comfyui':
      return `ComfyUI at ${config.baseUrl}`;
    case 'automatic1111':
      return `Automatic1111 at ${config.baseUrl}`;
    case 'openai':
      return `the images service at ${config.baseUrl}`;
  }
}

export interface ProvidersOptions {
  /** How long an engine's answer is trusted (default 30 s). */
  probeTtlMs?: number;
  /** How long a probe may take before the engine counts as unreachable (default 8 s). */
  probeTimeoutMs?: number;
}

export class GenerateProviders {
  private config: GenerateConfig;
  private status: EngineStatus = { state: 'preview' };
  private pending: Promise<EngineStatus> | null = null;
  /** Bumped by each configure, so a probe of an older engine is not kept. */
  private generation = 0;

  constructor(
    config: GenerateConfig | undefined,
    private readonly options: ProvidersOptions = {},
  ) {
    this.config = config ?? { provider: preview };
  }

  /** Switches to another engine (or mapping) now; the next question asks it afresh. */
  configure(config: GenerateConfig): void {
    this.config = config;
    this.generation++;
    this.status = { state: 'preview' };
    this.pending = null;
  }

  get current(): GenerateConfig {
    return this.config;
  }

  get configuredInfo(): { id: string; label: string } {
    return describe(this.config.provider);
  }

  get previewInfo(): { id: string; label: string } {
    return describe(preview);
  }

  /**
   * The engine's status. An answer older than the TTL is still given while the engine is asked
   * again in the background (a slow engine never slows /v1/tools down twice); only the first
   * question, and a forced one, wait for the engine.
   */
  async engineStatus(force = false): Promise<EngineStatus> {
    if (this.config.provider.kind === 'preview') return { state: 'preview' };
    const known = this.status.state !== 'preview';
    const fresh =
      known &&
      this.status.state !== 'preview' &&
      Date.now() - this.status.checkedAt < (this.options.probeTtlMs ?? 30_000);
    if (fresh && !force) return this.status;
    this.pending ??= this.ask();
    return known && !force ? this.status : this.pending;
  }

  private async ask(): Promise<EngineStatus> {
    const generation = this.generation;
    const status = await probeEngine(this.config.provider, this.options.probeTimeoutMs ?? 8000);
    if (generation === this.generation) {
      this.status = status;
      this.pending = null;
    }
    return status;
  }

  /** The provider for a price-book model, or why this server cannot serve it. */
  async choose(
    model: string,
    bookModels: Readonly<Record<string, { label: string }>>,
  ): Promise<ProviderChoice | Unavailable> {
    if (model === PREVIEW_PROVIDER_ID) return { config: preview, ...describe(preview), model };
    const label = bookModels[model]?.label ?? model;
    const status = await this.engineStatus();
    const picked = this.pick(model, label, status);
    if ('reason' in picked) return picked;
    return {
      config: this.withFamily(picked.engineModel),
      ...describe(this.config.provider),
      model: picked.engineModel.name,
    };
  }

  /** Every priced model, with whether this server can serve it now and why not. */
  async capabilities(
    bookModels: Readonly<Record<string, { label: string }>>,
  ): Promise<ModelCapability[]> {
    const status = await this.engineStatus();
    return Object.entries(bookModels).map(([id, { label }]) => {
      if (id === PREVIEW_PROVIDER_ID)
        return { id, label, engineModel: id, available: true, reason: null };
      const picked = this.pick(id, label, status);
      return 'reason' in picked
        ? { id, label, engineModel: null, available: false, reason: picked.reason.slice(0, 300) }
        : { id, label, engineModel: picked.engineModel.name, available: true, reason: null };
    });
  }

  /** Whether the engine restores faces (the face-enhance tool). */
  async faceEnhance(): Promise<{ available: boolean; reason: string | null }> {
    const status = await this.engineStatus();
    if (status.state === 'ready' && status.probe.faceEnhance)
      return { available: true, reason: null };
    if (status.state === 'preview')
      return {
        available: false,
        reason:
          'Face enhance needs an image engine that has it (Automatic1111 with GFPGAN or CodeFormer); connect one in Settings → Image engine.',
      };
    if (status.state === 'unreachable') return { available: false, reason: status.message };
    return {
      available: false,
      reason: `${engineName(this.config.provider)} has no face restoration.`,
    };
  }

  /** The face-restoring provider, or why there is none. */
  async faceProvider(): Promise<ProviderChoice | Unavailable> {
    const face = await this.faceEnhance();
    if (!face.available)
      return {
        code: 'model-missing',
        reason: face.reason ?? 'No engine here offers face enhance.',
      };
    return { config: this.config.provider, ...describe(this.config.provider), model: '' };
  }

  private pick(
    id: string,
    label: string,
    status: EngineStatus,
  ): { engineModel: EngineModel } | Unavailable {
    const provider = this.config.provider;
    if (provider.kind === 'preview')
      return {
        code: 'model-missing',
        reason: `No image engine is connected for ${label}; connect one in Settings → Image engine (only the offline preview runs now).`,
      };
    if (status.state === 'unreachable') return { code: status.code, reason: status.message };
    const mapped = this.config.models?.[id];
    if (status.state === 'unlisted') {
      // A compatible API that cannot list its models: the operator's mapping is taken on trust.
      return mapped
        ? { engineModel: { name: mapped, family: 'other' } }
        : {
            code: 'model-missing',
            reason: `${engineName(provider)} does not list its models; map one to ${label} in Settings → Image engine.`,
          };
    }
    if (status.state !== 'ready')
      return { code: 'unreachable', reason: `${engineName(provider)} has not answered yet.` };
    const models = status.probe.models;
    if (mapped) {
      const found = models.find((m) => m.name === mapped || m.aliases?.includes(mapped));
      return found
        ? { engineModel: found }
        : {
            code: 'model-missing',
            reason: `${engineName(provider)} has no model "${mapped}", which is mapped to ${label}; choose another in Settings → Image engine.`,
          };
    }
    const wants = serves[id];
    if (!wants)
      return {
        code: 'model-missing',
        reason: `No model of ${engineName(provider)} is mapped to ${label}; map one in Settings → Image engine.`,
      };
    const byName = wants.openai.map((name) => models.find((m) => m.name === name)).find(Boolean);
    const byFamily = models.find((m) => wants.families.includes(m.family));
    const found = provider.kind === 'openai' ? byName : byFamily;
    return found
      ? { engineModel: found }
      : {
          code: 'model-missing',
          reason: `${engineName(provider)} has no ${provider.kind === 'openai' ? 'model' : wants.what} for ${label}; add one, or map a model in Settings → Image engine.`,
        };
  }

  /** ComfyUI needs the family to choose its workflow. */
  private withFamily(model: EngineModel): ProviderConfig {
    const provider = this.config.provider;
    if (provider.kind !== 'comfyui') return provider;
    return { ...provider, families: { ...provider.families, [model.name]: model.family } };
  }
}

/** Asks the engine what it is and has, within `timeoutMs`. */
async function probeEngine(config: ProviderConfig, timeoutMs: number): Promise<EngineStatus> {
  const checkedAt = Date.now();
  if (config.kind === 'preview') return { state: 'preview' };
  const provider = createProvider(config);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    if (!provider.probe)
      throw new ProviderError('bad-response', 'This engine cannot be asked what it has.');
    return { state: 'ready', probe: await provider.probe(controller.signal), checkedAt };
  } catch (error) {
    if (controller.signal.aborted)
      return {
        state: 'unreachable',
        code: 'timeout',
        message: `${engineName(config)} did not answer within ${Math.round(timeoutMs / 1000)} s; check that it is running.`,
        checkedAt,
      };
    if (error instanceof ProviderError) {
      if (config.kind === 'openai' && error.code === 'bad-response' && error.status === 404)
        return { state: 'unlisted', message: error.message, checkedAt };
      return {
        state: 'unreachable',
        code: error.code,
        message: error.message.slice(0, 300),
        checkedAt,
      };
    }
    return {
      state: 'unreachable',
      code: 'http-error',
      message: `${engineName(config)} could not be asked: ${error instanceof Error ? error.message : String(error)}`,
      checkedAt,
    };
  } finally {
    clearTimeout(timer);
  }
}
