import { join } from 'node:path';
import { Settings } from '../../shared/ipc/types';
import type { ProblemSink } from '../session/session';
import { JsonFile } from '../storage/json-file';

const defaultSettings = (dataDir: string, serverUrl: string): Settings => ({
  serverUrl,
  allowanceAmount: 200,
  allowanceDays: 7,
  galleryDir: join(dataDir, 'gallery'),
  theme: 'system',
  returningUser: false,
  lowBalanceAlert: null,
  expiryAlertDays: 3,
});

/**
 * User settings in the data folder; the launch's server URL wins over a stored one. An
 * unreadable file is reported and left alone: the defaults apply meanwhile, and nothing is
 * saved over it until the user re-syncs (docs/architecture.md §10).
 */
export class SettingsStore {
  private readonly file: JsonFile<typeof Settings>;
  private value: Settings | null = null;
  private unreadable: Error | null = null;

  constructor(
    private readonly dataDir: string,
    private readonly serverUrl: string,
    private readonly problems: ProblemSink,
  ) {
    this.file = new JsonFile(join(dataDir, 'settings.json'), Settings);
  }

  get current(): Settings {
    return this.value ?? defaultSettings(this.dataDir, this.serverUrl);
  }

  async load(): Promise<Settings> {
    let stored: Settings | null = null;
    try {
      stored = await this.file.read();
    } catch (error) {
      this.unreadable = error instanceof Error ? error : new Error(String(error));
      this.problems.report('settings', error);
    }
    this.value = {
      ...defaultSettings(this.dataDir, this.serverUrl),
      ...stored,
      serverUrl: this.serverUrl,
    };
    return this.value;
  }

  async update(patch: Partial<Settings>): Promise<Settings> {
    if (this.unreadable) throw this.unreadable;
    const next = Settings.parse({ ...this.current, ...patch });
    await this.file.write(next);
    this.value = next;
    return next;
  }

  /** Sets the unreadable file aside and starts again from the defaults. */
  async resync(): Promise<Settings> {
    await this.file.moveAside();
    this.unreadable = null;
    this.value = defaultSettings(this.dataDir, this.serverUrl);
    await this.file.write(this.value);
    this.problems.clear('settings');
    return this.value;
  }
}
