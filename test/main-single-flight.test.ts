import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceKeys } from '../main/offline/device-key';
import { MemorySecretStore } from '../main/secrets/secret-store';
import { startPgliteServer } from './support/main-harness';
import { install } from './support/main-install';

type Server = Awaited<ReturnType<typeof startPgliteServer>>;

/** A secret store whose answers arrive late, so concurrent callers overlap; it counts writes. */
class SlowSecrets extends MemorySecretStore {
  writes = 0;
  override async get(name: string) {
    const value = await super.get(name); // read first, answer later: callers overlap
    await new Promise((r) => setTimeout(r, 20));
    return value;
  }
  override async set(name: string, value: string) {
    this.writes++;
    await super.set(name, value);
  }
}

describe('single-flight: concurrent callers share one device scope, one store and one key', () => {
  let server: Server;
  beforeAll(async () => {
    server = await startPgliteServer();
  });
  afterAll(async () => server.stop());

  it('makes one device key however many callers ask at once', async () => {
    const secrets = new SlowSecrets();
    const keys = new DeviceKeys(secrets, () => true);
    const all = await Promise.all(Array.from({ length: 10 }, () => keys.load()));
    expect(new Set(all.map((k) => k.publicKey)).size).toBe(1);
    expect(secrets.writes).toBe(1);
    expect(await secrets.get('device-signing-key')).toBe(all[0]?.secretKey);
  });

  it('opens the device state store and the device scope once for concurrent callers', async () => {
    const i = await install(server.url, new SlowSecrets());
    const d = await i.open();
    await d.call('signUp', { email: 'flight@example.com', password: 'correct horse battery' });
    const state = d.core.testing.deviceState;
    // Start from nothing open, then ask from many places at once.
    await state.close();
    const scopes = await Promise.all(Array.from({ length: 12 }, () => d.core.testing.device()));
    expect(new Set(scopes).size).toBe(1);
    const stores = await Promise.all(Array.from({ length: 12 }, () => state.store()));
    expect(new Set(stores).size).toBe(1);
    // The one scope works: a second opening would have been refused by the store's lock.
    await d.call('getPriceBook', {});
    await d.call('listDesigns', {});
    await server.services.ledger.grant((await d.call('getSession', {})).accountId ?? '', {
      operationId: 'grant-flight',
      amount: 500,
      source: 'promo',
      reason: 'test credits',
    });
    expect(await d.call('takeAllowance', { amount: 100, days: 1 })).toMatchObject({
      amount: 100,
      verified: true,
    });
    await d.core.close();
    await i.remove();
  });
});
