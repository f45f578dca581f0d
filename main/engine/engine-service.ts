/**
 * Settings → Image engine, in main. With the embedded server (the app started it and holds its
 * operator secret), main keeps the engine settings in the data folder and the key in the
 * secret store (safeStorage under Electron), gives them to the embedded server over loopback at
 * start and whenever they change, and never hands the key back to the renderer. With a remote
 * Easel server, the section shows what that server offers (its operator configures it).
 */
import { join } from 'node:path';
import { z } from 'zod';
import { type EngineSettingsInput, EngineKind, EngineModelMap } from '../../shared/api/engine';
import { ToolsResponse } from '../../shared/api/jobs';
import { EaselError } from '../../shared/ipc/contract';
import type { EngineSettingsPatch, EngineView } from '../../shared/ipc/types';
import type { HttpClient } from '../clients/http';
import { easelError } from '../core/errors';
import type { SecretStore } from '../secrets/secret-store';
import { JsonFile } from '../storage/json-file';
import { OperatorClient } from './operator-client';

/** Each engine's key is kept apart: switching engines never sends one engine's key to another. */
const keyName = (kind: z.infer<typeof EngineKind>): string => `engine-key:${kind}`;

/** What is stored in engine.json: everything but the key. */
const StoredEngine = z.strictObject({
  kind: EngineKind,
  baseUrl: z.string().url().nullable(),
  models: EngineModelMap,
});
type StoredEngine = z.infer<typeof StoredEngine>;

/** Which engines take a key: OpenAI-compatible (API key), Automatic1111 (--api-auth). */
const takesKey = (kind: z.infer<typeof EngineKind>): boolean =>
  kind === 'openai' || kind === 'automatic1111';

export interface EngineServiceOptions {
  dataDir: string;
  secrets: SecretStore;
  http: HttpClient;
  serverUrl: () => string;
  /** The embedded server's operator secret; absent when the app talks to a remote server. */
  operatorSecret?: string;
  fetch?: typeof fetch;
}

export class EngineService {
  private readonly file: JsonFile<typeof StoredEngine>;
  private readonly operator: OperatorClient | null;

  constructor(private readonly options: EngineServiceOptions) {
    this.file = new JsonFile(join(options.dataDir, 'engine.json'), StoredEngine);
    this.operator = options.operatorSecret
      ? new OperatorClient({
          serverUrl: options.serverUrl,
          secret: options.operatorSecret,
          fetch: options.fetch,
        })
      : null;
  }

  get embedded(): boolean {
    return this.operator !== null;
  }

  /** At start: gives the stored engine (and key) to the embedded server. */
  async restore(): Promise<void> {
    if (!this.operator) return;
    const stored = await this.file.read().catch(() => null);
    if (!stored) return;
    await this.operator.apply(await this.input(stored, undefined));
  }

  async view(): Promise<EngineView> {
    if (!this.operator) return this.remoteView();
    try {
      return {
        mode: 'embedded',
        state: await this.operator.state(),
        error: null,
        insecureKeyStorage: this.options.secrets.insecure,
      };
    } catch (error) {
      return {
        mode: 'embedded',
        state: null,
        error: error instanceof Error ? error.message : String(error),
        insecureKeyStorage: this.options.secrets.insecure,
      };
    }
  }

  async test(patch: EngineSettingsPatch) {
    return this.need().test(await this.input(patch, patch.key));
  }

  async save(patch: EngineSettingsPatch): Promise<EngineView> {
    const operator = this.need();
    const input = await this.input(patch, patch.key);
    await operator.apply(input);
    await this.file.write({ kind: patch.kind, baseUrl: patch.baseUrl, models: patch.models });
    if (patch.key === null) await this.options.secrets.delete(keyName(patch.kind));
    else if (patch.key && takesKey(patch.kind))
      await this.options.secrets.set(keyName(patch.kind), patch.key);
    return this.view();
  }

  /** What the server offers now (GET /v1/tools, signed in). */
  tools() {
    return this.options.http.json('GET', '/v1/tools', { schema: ToolsResponse });
  }

  private need(): OperatorClient {
    if (!this.operator)
      throw easelError(
        'invalid-params',
        'This app talks to a remote Easel server: its operator chooses the image engine there.',
      );
    return this.operator;
  }

  /** The settings with the key: a new one, none (null), or the stored one (undefined). */
  private async input(
    settings: StoredEngine,
    key: string | null | undefined,
  ): Promise<EngineSettingsInput> {
    const stored =
      key === undefined && takesKey(settings.kind)
        ? await this.options.secrets.get(keyName(settings.kind))
        : null;
    return {
      kind: settings.kind,
      baseUrl: settings.kind === 'preview' ? null : settings.baseUrl,
      key: takesKey(settings.kind) ? (key === undefined ? stored : key) : null,
      models: settings.kind === 'preview' ? {} : settings.models,
    };
  }

  private async remoteView(): Promise<EngineView> {
    const serverUrl = this.options.serverUrl();
    try {
      return { mode: 'remote', serverUrl, tools: await this.tools(), error: null };
    } catch (error) {
      const message =
        error instanceof EaselError &&
        (error.code === 'not-signed-in' || error.code === 'unauthorized')
          ? 'Sign in to see what this server offers.'
          : error instanceof Error
            ? error.message
            : String(error);
      return { mode: 'remote', serverUrl, tools: null, error: message };
    }
  }
}
