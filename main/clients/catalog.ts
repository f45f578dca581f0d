import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { Design } from '../../shared/api/catalog';
import type { FileData } from '../../shared/ipc/types';
import { SignedPriceBook, verifyPriceBook } from '../../shared/pricing/signed';
import { easelError, isOfflineError } from '../core/errors';
import { JsonFile } from '../storage/json-file';
import type { KeyRing } from '../sync/key-ring';
import type { HttpClient } from './http';

const DesignsResponse = z.object({ designs: z.array(Design) });
const DesignsFile = z.strictObject({ designs: z.array(Design) });
const FileMeta = z.strictObject({ mime: z.string() });

/**
 * The signed price book and the design catalog, fetched online and cached for offline use.
 * The price book's signature is checked on every read, cached or fresh.
 */
export class CatalogClient {
  private readonly bookFile: JsonFile<typeof SignedPriceBook>;
  private readonly designsFile: JsonFile<typeof DesignsFile>;

  constructor(
    private readonly http: HttpClient,
    private readonly keys: KeyRing,
    private readonly dataDir: string,
  ) {
    this.bookFile = new JsonFile(join(dataDir, 'price-book.json'), SignedPriceBook);
    this.designsFile = new JsonFile(join(dataDir, 'designs.json'), DesignsFile);
  }

  async priceBook(): Promise<SignedPriceBook> {
    try {
      const fresh = await this.http.json('GET', '/v1/price-book', {
        schema: SignedPriceBook,
        auth: false,
      });
      await this.check(fresh);
      await this.bookFile.write(fresh);
      return fresh;
    } catch (error) {
      if (!isOfflineError(error)) throw error;
      return this.cachedPriceBook();
    }
  }

  async cachedPriceBook(): Promise<SignedPriceBook> {
    const cached = await this.bookFile.read();
    if (!cached) throw easelError('not-available-offline', 'no price book is cached yet');
    await this.check(cached);
    return cached;
  }

  async designs(): Promise<Design[]> {
    try {
      const { designs } = await this.http.json('GET', '/v1/designs', { schema: DesignsResponse });
      await this.designsFile.write({ designs });
      return designs;
    } catch (error) {
      if (!isOfflineError(error)) throw error;
      return this.cachedDesigns();
    }
  }

  async cachedDesigns(): Promise<Design[]> {
    const cached = await this.designsFile.read();
    if (!cached) throw easelError('not-available-offline', 'the design catalog is not cached yet');
    return cached.designs;
  }

  /** The server refused the offline redemption of a design: it is not owned after all. */
  async unmarkOwned(designId: string): Promise<void> {
    const cached = await this.designsFile.read();
    if (!cached) return;
    await this.designsFile.write({
      designs: cached.designs.map((d) => (d.designId === designId ? { ...d, owned: false } : d)),
    });
  }

  async markOwned(designId: string): Promise<void> {
    const cached = await this.designsFile.read();
    if (!cached) return;
    await this.designsFile.write({
      designs: cached.designs.map((d) => (d.designId === designId ? { ...d, owned: true } : d)),
    });
  }

  /** Another account (or none) from now on: what one account owns is never shown to the next. */
  async forgetAccount(): Promise<void> {
    const cached = await this.designsFile.read();
    if (!cached) return;
    await this.designsFile.write({ designs: cached.designs.map((d) => ({ ...d, owned: false })) });
  }

  /** A design's file: downloaded once, then kept for offline use. */
  async designFile(designId: string): Promise<z.output<typeof FileData>> {
    const dir = join(this.dataDir, 'design-files');
    const safe = encodeURIComponent(designId);
    const meta = new JsonFile(join(dir, `${safe}.json`), FileMeta);
    try {
      const { mime, bytes } = await this.http.bytes(`/v1/designs/${safe}/file`);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, safe), bytes);
      await meta.write({ mime });
      return { mime, base64: bytes.toString('base64') };
    } catch (error) {
      if (!isOfflineError(error)) throw error;
      const m = await meta.read();
      if (!m) throw easelError('not-available-offline', 'this design has not been downloaded yet');
      return { mime: m.mime, base64: (await readFile(join(dir, safe))).toString('base64') };
    }
  }

  private async check(signed: SignedPriceBook): Promise<void> {
    const keys = await this.keys.withKey(signed.keyId).catch((error: unknown) => {
      if (!isOfflineError(error)) throw error; // an unreadable key ring is reported, not skipped
      return this.keys.current(); // offline: the cached ring decides
    });
    if (!verifyPriceBook(signed, keys)) {
      throw easelError('verification-failed', 'the price book signature does not verify');
    }
  }
}
