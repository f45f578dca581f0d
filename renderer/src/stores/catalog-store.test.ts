// @vitest-environment jsdom
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeEasel } from '../../testing/fake-easel';
import { openDb } from '../db/db';
import { createCatalogStore, type CatalogStore } from './catalog-store';
import { useTeams } from './team-store';

let store: CatalogStore | null = null;
let n = 0;
afterEach(() => {
  store?.getState().stop();
  store = null;
});

const until = async (check: () => boolean | Promise<boolean>, ms = 3000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('catalog store: offline claims', () => {
  it('undoes a claim the server refused and says why', async () => {
    const api = createFakeEasel();
    api.grant(500, 'bonus', 30);
    const db = openDb(`test-catalog-${++n}`);
    const allowance = await api.takeAllowance({ amount: 100 });
    store = createCatalogStore(api, db, () => undefined);
    await store.getState().start();
    const s = store;
    await until(() => s.getState().priceBook !== null && s.getState().designs.length > 0);
    api.online = false;
    await store.getState().redeem('d-sunset');
    expect((await db.outbox.toArray()).map((o) => o.designId)).toEqual(['d-sunset']);
    expect((await db.designs.get('d-sunset'))?.owned).toBe(true);

    api.emit('allowanceUpdate', {
      ...allowance,
      spentOffline: 0,
      rejected: [
        {
          counter: 1,
          code: 'over-allowance',
          message: 'voucher 1 for 50 is more than the 20 left on the allowance',
          allowanceId: allowance.allowanceId,
          designId: 'd-sunset',
        },
      ],
    });
    await until(async () => (await db.outbox.count()) === 0);
    expect((await db.designs.get('d-sunset'))?.owned).toBe(false);
    expect(store.getState().message).toBe(
      'The server refused your offline redemption of Sunset frame, so it is not yours: voucher 1 for 50 is more than the 20 left on the allowance.',
    );
  });

  it('shows a design as owned only when the server says so or a claim is still waiting', async () => {
    const api = createFakeEasel();
    const db = openDb(`test-catalog-${++n}`);
    store = createCatalogStore(api, db, () => undefined);
    await store.getState().start();
    // A stale local mark with no claim behind it (a refusal handled elsewhere) does not survive.
    await db.designs.update('d-sunset', { owned: true });
    await store.getState().refresh();
    expect((await db.designs.get('d-sunset'))?.owned).toBe(false);
    // A claim waiting to settle keeps it.
    await db.outbox.add({
      kind: 'redeem',
      designId: 'd-sunset',
      credits: 50,
      at: new Date().toISOString(),
      voucherCounter: 1,
    });
    await store.getState().refresh();
    expect((await db.designs.get('d-sunset'))?.owned).toBe(true);
  });
});

describe('catalog store: checkout and failures', () => {
  it('abandons a pending checkout (nothing pending, so Buy comes back) and says so', async () => {
    const api = createFakeEasel();
    store = createCatalogStore(api, openDb(`test-catalog-${++n}`), () => undefined);
    await store.getState().start();
    const started = await store.getState().buy('pack-100');
    expect(started?.status).toBe('pending');
    expect(store.getState().purchase?.sessionId).toBe(started?.sessionId);
    store.getState().abandon();
    expect(store.getState().purchase).toBeNull();
    expect(store.getState().message).toMatch(/^You left that checkout\./);
    // The purchase's later events no longer reach the Store.
    if (started) api.completePurchase(started.sessionId);
    expect(store.getState().purchase).toBeNull();
  });

  it('shows a failed redemption as a sentence, apart from notices', async () => {
    const api = createFakeEasel();
    api.grant(10, 'bonus', 30);
    store = createCatalogStore(api, openDb(`test-catalog-${++n}`), () => undefined);
    await store.getState().start();
    const s = store;
    await until(() => s.getState().priceBook !== null && s.getState().designs.length > 0);
    await store.getState().redeem('d-sunset');
    const error = store.getState().error ?? '';
    // The fake's lower-case fragment, written as a sentence.
    expect(error).toBe('Not enough image credits: 50 needed, 10 available.');
    expect(store.getState().message).toBeNull();
  });
});

describe('catalog store: designs on a team wallet', () => {
  // The fake knows no teams: the store's own refresh after a redeem would drop the choice.
  const refresh = useTeams.getState().refresh;
  afterEach(() => {
    useTeams.setState({ refresh });
    useTeams.getState().select(null);
  });

  it('redeems from the chosen team allowance for the project picked (docs/architecture.md §14)', async () => {
    const api = createFakeEasel();
    const db = openDb(`test-catalog-${++n}`);
    const asked: Array<Parameters<typeof api.redeemDesign>[0]> = [];
    api.redeemDesign = async (params) => {
      asked.push(params);
      return {
        designId: params.designId,
        credits: params.expectedCredits,
        mode: 'offline',
        voucherCounter: 1,
      };
    };
    store = createCatalogStore(api, db, () => undefined);
    await store.getState().start();
    const s = store;
    await until(() => s.getState().priceBook !== null && s.getState().designs.length > 0);

    useTeams.setState({ refresh: async () => undefined });
    useTeams.getState().select('team_1');
    useTeams.getState().setProject('project_1');
    await s.getState().redeem('d-sunset');
    expect(asked.at(-1)).toMatchObject({
      designId: 'd-sunset',
      teamId: 'team_1',
      projectId: 'project_1',
    });

    // "No project" is sent as null; the personal wallet sends no team at all.
    useTeams.getState().setProject(null);
    await s.getState().redeem('d-sunset');
    expect(asked.at(-1)).toMatchObject({ teamId: 'team_1', projectId: null });
    useTeams.getState().select(null);
    await s.getState().redeem('d-sunset');
    expect(asked.at(-1)).not.toHaveProperty('teamId');
    expect(asked.at(-1)).not.toHaveProperty('projectId');
  });
});
