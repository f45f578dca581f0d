import { join } from 'node:path';
import { Settings } from '../../shared/ipc/types';
import { JsonFile } from '../storage/json-file';

export const defaultSettings = (dataDir: string, serverUrl: string): Settings => ({
  serverUrl,
  allowanceAmount: 200,
  allowanceDays: 7,
  galleryDir: join(dataDir, 'gallery'),
});

/** User settings in the data folder; the launch's server URL wins over a stored one. */
export class SettingsStore {
  private readonly file: JsonFile<typeof Settings>;
  private value: Settings | null = null;

  constructor(
    private readonly dataDir: string,
    private readonly serverUrl: string,
  ) {
    this.file = new JsonFile(join(dataDir, 'settings.json'), Settings);
  }

  get current(): Settings {
    return this.value ?? defaultSettings(this.dataDir, this.serverUrl);
  }

  async load(): Promise<Settings> {
    const stored = await this.file.read().catch(() => null);
    this.value = {
      ...defaultSettings(this.dataDir, this.serverUrl),
      ...stored,
      serverUrl: this.serverUrl,
    };
    return this.value;
  }

  async update(patch: Partial<Settings>): Promise<Settings> {
    const next = Settings.parse({ ...this.current, ...patch });
    await this.file.write(next);
    this.value = next;
    return next;
  }
}
