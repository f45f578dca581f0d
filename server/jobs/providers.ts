/**
 * Which generate provider serves which price-book model. 'easel-preview' is the offline preview
 * engine whatever is configured; every other model goes to the configured provider, with its
 * name mapped when the operator says so. With only the preview configured, other models are
 * not offered: charging a "Pro" price for a non-AI preview would be charging for nothing.
 */
import { PREVIEW_PROVIDER_ID, type ProviderConfig, createProvider } from '../engines/index';
import type { ModelCapability } from '../../shared/api/jobs';
import type { GenerateConfig } from './config';

export interface ProviderChoice {
  config: ProviderConfig;
  id: string;
  label: string;
  /** The model name sent to the provider. */
  model: string;
}

const preview: ProviderConfig = { kind: 'preview' };

function describe(config: ProviderConfig): { id: string; label: string } {
  const provider = createProvider(config);
  return { id: provider.id, label: provider.label };
}

export class GenerateProviders {
  private readonly configured: ProviderConfig;
  private readonly models: Record<string, string>;

  constructor(config: GenerateConfig | undefined) {
    this.configured = config?.provider ?? preview;
    this.models = config?.models ?? {};
  }

  /** The provider for a model id, or null when this server cannot serve it. */
  choose(model: string): ProviderChoice | null {
    if (model === PREVIEW_PROVIDER_ID) return { config: preview, ...describe(preview), model };
    if (this.configured.kind === 'preview') return null;
    return {
      config: this.configured,
      ...describe(this.configured),
      model: this.models[model] ?? model,
    };
  }

  /** Every model the price book prices, with whether this server can serve it and why not. */
  capabilities(bookModels: Readonly<Record<string, { label: string }>>): ModelCapability[] {
    return Object.entries(bookModels).map(([id, { label }]) => {
      const choice = this.choose(id);
      return choice
        ? { id, label, engineModel: choice.model, available: true, reason: null }
        : {
            id,
            label,
            engineModel: null,
            available: false,
            reason: `No image engine on this server runs ${label}.`,
          };
    });
  }

  get configuredInfo(): { id: string; label: string } {
    return describe(this.configured);
  }

  get previewInfo(): { id: string; label: string } {
    return describe(preview);
  }
}
