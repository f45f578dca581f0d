/**
 * The image engine of a running server, as its operator (the desktop app that started the
 * embedded server) sees it: switch engines without a restart, test settings before using them,
 * and read what the engine answered. Keys are held in memory only, in the provider config.
 */
import type {
  EngineKind,
  EngineReport,
  EngineSettingsInput,
  EngineState,
  EngineTestResult,
} from '../../shared/api/engine';
import type { ModelCapability } from '../../shared/api/jobs';
import type { PriceBook } from '../../shared/pricing/book';
import type { ProviderConfig } from '../engines/index';
import type { GenerateConfig } from './config';
import { type EngineStatus, GenerateProviders } from './providers';

/** How long a test or a switch waits for the engine to answer. */
const PROBE_TIMEOUT_MS = 8000;

function configOf(input: EngineSettingsInput, timeoutMs?: number): GenerateConfig {
  const base = input.baseUrl ?? '';
  const provider: ProviderConfig = (() => {
    switch (input.kind) {
      case 'preview':
        return { kind: 'preview' };
      case 'comfyui':
        return { kind: 'comfyui', baseUrl: base || 'http://127.0.0.1:8188', timeoutMs };
      case 'automatic1111': {
        const colon = input.key?.indexOf(':') ?? -1;
        return {
          kind: 'automatic1111',
          baseUrl: base || 'http://127.0.0.1:7860',
          timeoutMs,
          ...(input.key && colon > 0
            ? {
                auth: { username: input.key.slice(0, colon), password: input.key.slice(colon + 1) },
              }
            : {}),
        };
      }
      case 'openai':
        return {
          kind: 'openai',
          baseUrl: base || 'https://api.openai.com',
          apiKey: input.key ?? '',
          timeoutMs,
        };
    }
  })();
  return { provider, models: input.kind === 'preview' ? {} : input.models };
}

/** The settings a config came from, without its key. */
function settingsOf(config: GenerateConfig): {
  kind: EngineKind;
  baseUrl: string | null;
  hasKey: boolean;
} {
  const p = config.provider;
  switch (p.kind) {
    case 'preview':
      return { kind: 'preview', baseUrl: null, hasKey: false };
    case 'comfyui':
      return { kind: 'comfyui', baseUrl: p.baseUrl, hasKey: false };
    case 'automatic1111':
      return { kind: 'automatic1111', baseUrl: p.baseUrl, hasKey: p.auth !== undefined };
    case 'openai':
      return { kind: 'openai', baseUrl: p.baseUrl, hasKey: p.apiKey !== '' };
  }
}

function failureOf(status: Extract<EngineStatus, { state: 'unreachable' }>): EngineReport {
  const failure =
    status.code === 'timeout'
      ? 'timeout'
      : status.code === 'auth'
        ? 'wrong-key'
        : status.code === 'bad-response'
          ? 'wrong-server'
          : status.code === 'unreachable'
            ? /connection refused/.test(status.message)
              ? 'refused'
              : 'unreachable'
            : 'error';
  return { ok: false, failure, message: status.message };
}

function deviceText(device: NonNullable<Extract<EngineReport, { ok: true }>['device']>): string {
  const what = device.kind === 'gpu' ? 'a GPU' : device.kind === 'cpu' ? 'the CPU' : 'its device';
  const detail = [device.name, device.memoryGb ? `${device.memoryGb} GB` : null]
    .filter(Boolean)
    .join(', ');
  return detail ? `${what} (${detail})` : what;
}

function reportOf(status: EngineStatus, capabilities: ModelCapability[]): EngineReport {
  switch (status.state) {
    case 'preview':
      return {
        ok: true,
        server: 'Easel Preview',
        version: null,
        device: null,
        models: [],
        faceEnhance: false,
        summary: 'The built-in preview runs offline; it draws abstract pictures and is not AI.',
      };
    case 'unreachable':
      return failureOf(status);
    case 'unlisted':
      return {
        ok: true,
        server: 'OpenAI-compatible images API',
        version: null,
        device: null,
        models: [],
        faceEnhance: false,
        summary:
          'The images service answered but does not list its models; map models to the priced ones by name.',
      };
    case 'ready': {
      const p = status.probe;
      const models = p.models.map((m) => ({
        name: m.name,
        family: m.family,
        servesAs: capabilities
          .filter((c) => c.available && c.engineModel === m.name)
          .map((c) => c.id),
      }));
      const count = `${models.length} model${models.length === 1 ? '' : 's'}`;
      const summary = `${p.server}${p.version ? ` ${p.version}` : ''} answered${p.device ? `, on ${deviceText(p.device)}` : ''}, with ${count}.`;
      return {
        ok: true,
        server: p.server,
        version: p.version,
        device: p.device,
        models,
        faceEnhance: p.faceEnhance,
        summary,
      };
    }
  }
}

export class EngineOperator {
  constructor(
    private readonly providers: GenerateProviders,
    private readonly priceBook: () => Promise<{ book: PriceBook }>,
    private readonly timeoutMs?: number,
    private readonly probeTimeoutMs = PROBE_TIMEOUT_MS,
  ) {}

  private async bookModels() {
    return (await this.priceBook()).book.tools.generate?.models ?? {};
  }

  /** The engine in use now, asked afresh. */
  async state(): Promise<EngineState> {
    const status = await this.providers.engineStatus(true);
    const capabilities = await this.providers.capabilities(await this.bookModels());
    const config = this.providers.current;
    return {
      ...settingsOf(config),
      models: config.models ?? {},
      report: reportOf(status, capabilities),
      capabilities,
    };
  }

  /** Uses these settings from now on (jobs already running finish on the engine they started on). */
  async apply(input: EngineSettingsInput): Promise<EngineState> {
    this.providers.configure(configOf(input, this.timeoutMs));
    return this.state();
  }

  /** What these settings would give, without using them. */
  async test(input: EngineSettingsInput): Promise<EngineTestResult> {
    const trial = new GenerateProviders(configOf(input, this.timeoutMs), {
      probeTimeoutMs: this.probeTimeoutMs,
    });
    const status = await trial.engineStatus(true);
    const capabilities = await trial.capabilities(await this.bookModels());
    return { report: reportOf(status, capabilities), capabilities };
  }
}
