import { join } from 'node:path';
import { z } from 'zod';
import { JsonFile } from '../storage/json-file';
import type { SecretStore } from './secret-store';

const Secrets = z.record(z.string(), z.string());

/**
 * Browser mode's secret store: a 0600 JSON file in the data folder. It is plain text, and
 * `insecure` says so, so the UI can tell the user.
 */
export class PlainFileSecretStore implements SecretStore {
  readonly insecure = true;
  private readonly file: JsonFile<typeof Secrets>;

  constructor(dataDir: string) {
    this.file = new JsonFile(join(dataDir, 'secrets.plain.json'), Secrets);
  }

  async get(name: string) {
    return (await this.file.read())?.[name] ?? null;
  }

  async set(name: string, value: string) {
    const all = (await this.file.read()) ?? {};
    await this.file.write({ ...all, [name]: value });
  }

  async moveAside() {
    await this.file.moveAside();
  }

  async delete(name: string) {
    const all = (await this.file.read()) ?? {};
    await this.file.write(Object.fromEntries(Object.entries(all).filter(([k]) => k !== name)));
  }
}
