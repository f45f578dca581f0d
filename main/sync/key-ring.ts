import { join } from 'node:path';
import { z } from 'zod';
import { PublicKeyInfo } from '../../shared/ledger/checkpoint';
import type { HttpClient } from '../clients/http';
import type { ProblemSink } from '../session/session';
import { JsonFile } from '../storage/json-file';

const KeysResponse = z.object({ keys: z.array(PublicKeyInfo) });
const KeysFile = z.strictObject({ keys: z.array(PublicKeyInfo) });

/**
 * The server's published checkpoint keys, cached on disk for offline use. A key id we have not
 * seen triggers one refetch (the server may have rotated); still unknown after it, we refuse.
 * An unreadable cache is reported and refuses verification until re-synced: it is never
 * read as "no keys" (docs/architecture.md §10).
 */
export class KeyRing {
  private keys: PublicKeyInfo[] | null = null;
  private readonly file: JsonFile<typeof KeysFile>;

  constructor(
    private readonly http: HttpClient,
    dataDir: string,
    private readonly problems?: ProblemSink,
  ) {
    this.file = new JsonFile(join(dataDir, 'server-keys.json'), KeysFile);
  }

  async current(): Promise<PublicKeyInfo[]> {
    if (this.keys) return this.keys;
    let cached;
    try {
      cached = await this.file.read();
    } catch (error) {
      this.problems?.report('server-keys', error);
      throw error;
    }
    if (cached) {
      this.keys = cached.keys;
      return cached.keys;
    }
    return this.refresh();
  }

  async refresh(): Promise<PublicKeyInfo[]> {
    const { keys } = await this.http.json('GET', '/v1/keys', { schema: KeysResponse, auth: false });
    this.keys = keys;
    await this.file.write({ keys });
    return keys;
  }

  /** Keys that include `keyId` if the server publishes it (refetching once), else the current set. */
  async withKey(keyId: string): Promise<PublicKeyInfo[]> {
    const keys = await this.current();
    if (keys.some((k) => k.keyId === keyId)) return keys;
    return this.refresh();
  }

  /** Sets an unreadable cache aside and fetches the published keys again. */
  async resync(): Promise<PublicKeyInfo[]> {
    await this.file.moveAside();
    this.keys = null;
    const keys = await this.refresh();
    this.problems?.clear('server-keys');
    return keys;
  }

  /** Forget cached keys (another server was configured). */
  async reset(): Promise<void> {
    this.keys = null;
    await this.file.write({ keys: [] });
  }
}
