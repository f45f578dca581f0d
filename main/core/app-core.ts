import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { SignUpOffer } from '../../shared/api/auth';
import { RedeemResponse } from '../../shared/api/catalog';
import { SpendingLimitsResponse } from '../../shared/api/limits';
import { PurchaseListResponse } from '../../shared/api/purchase-list';
import { AutoTopupResponse } from '../../shared/api/auto-topup';
import { RedeemPromoResponse } from '../../shared/api/promo';
import { PlanChangeResponse, PlanStatus, PortalResponse } from '../../shared/api/plans';
import { parseEaselLink } from '../../shared/api/links';
import type { Logger } from '../../shared/log/logger';
import { quote } from '../../shared/pricing/quote';
import { CatalogClient } from '../clients/catalog';
import { HttpClient } from '../clients/http';
import { JobsClient } from '../clients/jobs';
import { EngineService } from '../engine/engine-service';
import { PurchasesClient } from '../clients/purchases';
import { PendingInvite } from '../clients/pending-invite';
import { teamCalls } from '../clients/team-calls';
import { TeamsClient } from '../clients/teams';
import type { SecretStore } from '../secrets/secret-store';
import { Session } from '../session/session';
import { Connectivity } from '../sync/connectivity';
import { KeyRing } from '../sync/key-ring';
import { LedgerSync } from '../sync/ledger-sync';
import { SyncTracker } from '../sync/sync-tracker';
import { DeviceHealth } from './device-health';
import type { DeviceScope } from './device-scope';
import { DeviceState } from './device-state';
import { easelError, isOfflineError } from './errors';
import { EventHub } from './events';
import { isAllowedExternalUrl } from './external-url';
import type { CallImpl } from './handlers';
import { log as mainLog } from './log';
import { StoredHead } from '../sync/stored-head';
import { SettingsStore } from './settings';
import { noSteps, type StepHook } from './steps';
import { Heartbeat } from '../sync/heartbeat';

export interface CoreOptions {
  dataDir: string;
  serverUrl: string;
  secrets: SecretStore;
  /** Opens a URL in the system browser; browser mode has none (the renderer shows the link). */
  openExternal?: (url: string) => Promise<boolean>;
  /** Shows a system notification (Electron); browser mode has none (the renderer falls back). */
  notify?: (title: string, body: string) => Promise<boolean>;
  now?: () => Date;
  fetch?: typeof fetch;
  /** How often to ask the server whether the ledger moved (0: never). */
  ledgerPollMs?: number;
  probeMs?: number;
  /** Watch the server's heartbeat stream (default on): Offline within ~1.5 s of losing it. */
  heartbeat?: boolean;
  retry?: { baseMs?: number; maxMs?: number };
  purchases?: { pollMs?: number; giveUpMs?: number };
  jobsPollMs?: number;
  /** Main's logger (default: JSON lines unless EASEL_LOG=off). */
  log?: Logger;
  /** Crash-point tests only: named steps of spend, queue, send and settle. */
  onStep?: StepHook;
  /** Journal size that triggers a snapshot of the device state (tests make it small). */
  storeCompactBytes?: number;
  /**
   * The embedded server's per-launch operator secret: main may then set its image engine.
   * Absent when the app talks to a remote Easel server.
   */
  operatorSecret?: string;
}

export interface Core {
  impl: CallImpl;
  events: EventHub;
  /** An `easel://` link reached the app (open-url or second-instance). */
  handleLink(url: string): Promise<void>;
  /** A result file's bytes, for the file route (docs/architecture.md §1). */
  fileBytes(sha256: string): Promise<{ mime: string; data: Buffer }>;
  close(): Promise<void>;
  /** Test hooks, in the spirit of Signal Desktop's: poke the internals without the UI. */
  testing: {
    connectivity: Connectivity;
    device(): Promise<DeviceScope>;
    ledger: LedgerSync;
    keys: KeyRing;
    deviceState: DeviceState;
  };
}

/** Builds main's services and the implementation of every IPC call. Plain Node, no Electron. */
export async function createCore(opts: CoreOptions): Promise<Core> {
  const now = opts.now ?? (() => new Date());
  await mkdir(opts.dataDir, { recursive: true });
  const log = opts.log ?? mainLog;
  const events = new EventHub(log);
  const health = new DeviceHealth(events, log);
  const settings = new SettingsStore(opts.dataDir, opts.serverUrl, health);
  await settings.load();
  const connectivity = new Connectivity({ probeMs: opts.probeMs, now });
  let session: Session | null = null;
  const http = new HttpClient({
    baseUrl: () => settings.current.serverUrl,
    token: async () => (session ? session.currentToken() : null),
    fetch: opts.fetch,
    onReachability: (ok) => connectivity.report(ok),
  });
  connectivity.attach(http);
  const heartbeat = opts.heartbeat === false ? null : new Heartbeat(http, connectivity);
  heartbeat?.open();
  const keys = new KeyRing(http, opts.dataDir, health);
  // Device state (docs/architecture.md §10): the durable store, the device scope and the
  // device key, each opened once however many callers ask at once.
  const teams = new TeamsClient(http, keys, opts.dataDir);
  const deviceState: DeviceState = new DeviceState({
    dataDir: opts.dataDir,
    http,
    secrets: opts.secrets,
    session: () => signedIn,
    settings,
    keyRing: keys,
    teamChains: teams,
    health,
    online: () => connectivity.online,
    now,
    onAllowance: (state) => events.emit('allowanceUpdate', state),
    onQueueChange: () => {
      tracker.publish();
      // Offline or failing: the next poll or reconnect asks for the head again.
      void ledger.checkHead().catch(() => undefined);
    },
    onRefused: async (designIds) => {
      for (const designId of designIds)
        await catalog.unmarkOwned(designId).catch((error: unknown) =>
          // The next online catalog refresh says what is owned; only the offline copy lags.
          log.error({ err: error, designId }, 'could not undo a refused offline claim'),
        );
    },
    onStep: opts.onStep,
    compactBytes: opts.storeCompactBytes,
    log,
    retry: opts.retry,
  });
  session = new Session({
    http,
    secrets: opts.secrets,
    dataDir: opts.dataDir,
    serverUrl: () => settings.current.serverUrl,
    deviceKey: () => deviceState.key(),
    problems: health,
  });
  await session.load();
  const signedIn = session;

  const tracker = new SyncTracker(
    events,
    connectivity,
    () => deviceState.current?.outbox.pendingCount ?? 0,
    now,
  );
  const device = (): Promise<DeviceScope> => deviceState.device();
  const step = opts.onStep ?? noSteps;

  const ledger = new LedgerSync({
    http,
    keys,
    events,
    tracker,
    accountId: () => signedIn.accountId,
  });
  const storedHead = new StoredHead(opts.dataDir);
  const catalog = new CatalogClient(http, keys, opts.dataDir);
  const refreshHead = async () => {
    // Offline or failing: the tracker shows it, and the next poll or reconnect asks again.
    await ledger.checkHead().catch(() => undefined);
  };
  const openExternal = async (url: string) =>
    isAllowedExternalUrl(url, settings.current.serverUrl) && opts.openExternal
      ? // electronegativity-ignore: OPEN_EXTERNAL_JS_CHECK — only reached when isAllowedExternalUrl (line above) accepts the URL
        opts.openExternal(url)
      : false;
  /** A plan change, then a head check: an upgrade's credits are in the ledger at once. */
  const planAction = async (path: string, body: Record<string, string>) => {
    const res = await http.json('POST', path, { schema: PlanChangeResponse, body });
    await refreshHead();
    return res;
  };
  const purchases = new PurchasesClient({
    http,
    openExternal,
    onUpdate: (s) => events.emit('purchaseUpdate', s),
    onCredited: refreshHead,
    ...opts.purchases,
  });
  const jobs = new JobsClient({
    http,
    accountId: () => signedIn.accountId,
    dataDir: opts.dataDir,
    galleryDir: () => settings.current.galleryDir,
    onUpdate: (j) => events.emit('jobUpdate', j),
    onPreview: (p) => events.emit('jobPreview', p),
    onLedgerMoved: refreshHead,
    pollMs: opts.jobsPollMs,
  });
  const engine = new EngineService({
    dataDir: opts.dataDir,
    secrets: opts.secrets,
    http,
    serverUrl: () => settings.current.serverUrl,
    operatorSecret: opts.operatorSecret,
    fetch: opts.fetch,
  });
  // The embedded server starts with the built-in preview: give it the engine chosen last time.
  await engine.restore().catch(() => undefined);

  // Back online: send what is queued, and look for entries written meanwhile.
  connectivity.onChange((online) => {
    if (!online || !signedIn.deviceId) return;
    void device()
      .then(async (d) => {
        d.outbox.kick();
        // Team vouchers spent offline go to their team's settle route (docs/architecture.md §14).
        for (const teamId of d.teamAllowances.teamsWithPending())
          await d.teamAllowances.flush(teamId).catch((error: unknown) => {
            if (!isOfflineError(error))
              log.warn({ err: error, teamId }, 'could not settle team vouchers');
          });
      })
      // A device state that cannot be opened is reported by DeviceState (with its way out).
      .catch((error: unknown) => log.warn({ err: error }, 'could not send the outbox'));
    void refreshHead();
  });
  // Opening may fail (a damaged store): the app still starts, and says why (deviceHealth).
  if (signedIn.deviceId)
    await device()
      .then((d) => d.outbox.kick())
      .catch((error: unknown) => log.error({ err: error }, 'device state did not open'));

  const poll =
    opts.ledgerPollMs === 0
      ? null
      : setInterval(() => {
          if (signedIn.accountId && connectivity.online) void refreshHead();
        }, opts.ledgerPollMs ?? 30_000);
  poll?.unref();

  /** Nothing of the previous account (followed jobs, owned designs) carries over. */
  const forgetAccount = async () => {
    jobs.forgetAccount();
    await catalog.forgetAccount().catch(() => undefined);
    await storedHead
      .forget()
      .catch((error: unknown) => log.warn({ err: error }, 'forgetting the stored head failed'));
  };
  const afterSignIn = async () => {
    // From now on the sign-in form opens on "Sign in" (an unreadable settings file stays as is).
    if (!settings.current.returningUser)
      await settings.update({ returningUser: true }).catch(() => undefined);
    ledger.reset();
    deviceState.closeScope();
    if (signedIn.deviceId) (await device()).outbox.kick();
    await refreshHead();
  };

  const pendingInvite = new PendingInvite((token) => events.emit('teamInviteLink', { token }));
  const impl: CallImpl = {
    ...teamCalls(
      teams,
      () => signedIn.info().accountId,
      pendingInvite,
      async (teamId) =>
        signedIn.deviceId ? (await device()).teamAllowances.pendingCredits(teamId) : 0,
    ),
    getSession: async () => signedIn.info(),
    signUp: async ({ email, password }) => {
      await forgetAccount();
      const info = await signedIn.signIn('signup', email, password);
      await afterSignIn();
      return info;
    },
    signIn: async ({ email, password }) => {
      await forgetAccount();
      const info = await signedIn.signIn('signin', email, password);
      await afterSignIn();
      return info;
    },
    getSignUpOffer: async () =>
      http.json('GET', '/v1/auth/offer', { schema: SignUpOffer, auth: false }),
    signOut: async () => {
      deviceState.closeScope();
      ledger.reset();
      await forgetAccount();
      return signedIn.signOut();
    },

    getSettings: async () => settings.current,
    updateSettings: async (patch) => {
      if (patch.serverUrl !== undefined && patch.serverUrl !== settings.current.serverUrl) {
        throw easelError('invalid-params', 'the server URL is chosen when the app starts');
      }
      return settings.update(patch);
    },

    getSyncState: async () => tracker.state,
    syncNow: async () => {
      if (!signedIn.accountId) throw easelError('not-signed-in', 'sign in to sync');
      const d = await device();
      // A failed send stays queued and is retried with back-off; the sync state says why.
      await d.outbox.flush().catch((error: unknown) => {
        if (!isOfflineError(error)) log.warn({ err: error }, 'sending the outbox failed');
      });
      await ledger.checkHead().catch((error: unknown) => {
        if (!isOfflineError(error)) throw error;
      });
      return tracker.state;
    },
    pullBatch: async ({ after, limit }) => ledger.pullBatch(after, limit),
    batchStored: async (head) => {
      const state = ledger.batchStored(head);
      if (signedIn.accountId) await storedHead.record(signedIn.accountId, head);
      return state;
    },
    getStoredHead: async () => storedHead.get(signedIn.accountId),
    getKeys: async () => keys.current(),
    getPriceBook: async () => catalog.priceBook(),

    listDesigns: async () => catalog.designs(),
    redeemDesign: async ({ designId, expectedCredits, priceBookVersion, teamId, projectId }) => {
      if (connectivity.online) {
        try {
          // Online, a team wallet pays through its own route, for the project, within the
          // budgets; its allowance is the offline path (docs/architecture.md §5, §14).
          const body = { operationId: `redeem-${randomUUID()}`, expectedCredits, priceBookVersion };
          const res = await http.json(
            'POST',
            teamId
              ? `/v1/teams/${encodeURIComponent(teamId)}/designs/${encodeURIComponent(designId)}/redeem`
              : `/v1/designs/${encodeURIComponent(designId)}/redeem`,
            {
              schema: RedeemResponse,
              body: teamId ? { ...body, projectId: projectId ?? null } : body,
            },
          );
          await catalog.markOwned(designId);
          if (!teamId) ledger.noteHead(res.seq);
          return { designId, credits: res.credits, mode: 'online' as const, voucherCounter: null };
        } catch (error) {
          if (!isOfflineError(error)) throw error;
        }
      }
      // Offline: price it from the cached signed price book, exactly as the server would.
      const book = await catalog.cachedPriceBook();
      const design = (await catalog.cachedDesigns()).find((d) => d.designId === designId);
      if (!design) throw easelError('not-available-offline', `design ${designId} is not cached`);
      const fresh = quote(book.book, { tool: 'design', designId, priceCents: design.priceCents });
      if (fresh.credits !== expectedCredits || fresh.priceBookVersion !== priceBookVersion) {
        throw easelError('quote-changed', `the price is now ${fresh.credits} credits`, fresh);
      }
      // Offline, a team wallet's designs are paid from its allowance: a voucher that names the
      // team, the member and the project (docs/architecture.md §14).
      const d = await device();
      const counter = teamId
        ? await d.teamAllowances.spend(
            teamId,
            projectId ?? null,
            designId,
            fresh.credits,
            design.title || undefined,
          )
        : await d.allowances.spend(designId, fresh.credits, design.title || undefined);
      await catalog.markOwned(designId);
      await step('spend:owned');
      return {
        designId,
        credits: fresh.credits,
        mode: 'offline' as const,
        voucherCounter: counter,
      };
    },
    designFile: async ({ designId }) => catalog.designFile(designId),

    getAllowance: async ({ teamId }) => {
      const d = await device();
      return teamId ? d.teamAllowances.state(teamId) : d.allowances.state();
    },
    takeAllowance: async ({ amount, days, teamId }) => {
      const s = settings.current;
      const book = await catalog.priceBook();
      const d = await device();
      const wanted = [
        book.book.currency,
        amount ?? s.allowanceAmount,
        days ?? s.allowanceDays,
      ] as const;
      if (teamId) return d.teamAllowances.take(teamId, ...wanted);
      const state = await d.allowances.take(...wanted);
      await refreshHead();
      return state;
    },
    returnAllowance: async ({ teamId }) => {
      const d = await device();
      return teamId ? d.teamAllowances.giveBack(teamId) : d.allowances.giveBack();
    },

    getSpendingLimits: async () =>
      http.json('GET', '/v1/account/spending-limits', { schema: SpendingLimitsResponse }),
    setSpendingLimits: async (limits) =>
      http.json('POST', '/v1/account/spending-limits', {
        schema: SpendingLimitsResponse,
        body: limits,
      }),
    getStoreCatalog: async () => purchases.catalog(),
    redeemPromo: async ({ code }) => {
      const res = await http.json('POST', '/v1/promo-codes/redeem', {
        schema: RedeemPromoResponse,
        body: { operationId: `promo-${randomUUID()}`, code },
      });
      ledger.noteHead(res.seq);
      return res;
    },
    startCheckout: async ({ itemId }) => purchases.startCheckout(itemId),
    getPlan: async () => http.json('GET', '/v1/plan', { schema: PlanStatus }),
    changePlan: async ({ itemId }) =>
      planAction('/v1/plan/change', { itemId, operationId: `plan-${randomUUID()}` }),
    cancelPlan: async () => planAction('/v1/plan/cancel', { operationId: `plan-${randomUUID()}` }),
    resumePlan: async () => planAction('/v1/plan/resume', { operationId: `plan-${randomUUID()}` }),
    openPlanPortal: async () => {
      const { url } = await http.json('POST', '/v1/plan/portal', { schema: PortalResponse });
      return { url, opened: await openExternal(url) };
    },
    getPurchase: async ({ sessionId }) => purchases.status(sessionId),

    uploadImage: async ({ mime, base64 }) => jobs.upload(mime, base64),
    submitJob: async (job) => jobs.submit(job),
    listJobs: async ({ teamId }) => jobs.list(teamId),
    cancelJob: async ({ jobId }) => jobs.action(jobId, 'cancel'),
    confirmJob: async ({ jobId }) => jobs.action(jobId, 'confirm'),
    discardJob: async ({ jobId }) => jobs.action(jobId, 'discard'),
    dislikeItem: async ({ itemId }) => jobs.dislike(itemId),
    getFile: async ({ sha256 }) => jobs.fetchFile(sha256),

    openLink: async ({ url }) => ({ opened: await openExternal(url) }),
    notify: async ({ title, body }) => ({
      shown: opts.notify ? await opts.notify(title, body).catch(() => false) : false,
    }),

    getDeviceHealth: async () => deviceState.health,
    resyncDeviceState: async ({ part }) => {
      const state = await deviceState.resync(part);
      if (part === 'session' && signedIn.accountId) await afterSignIn();
      return state;
    },
    rotateDeviceKey: async () => deviceState.rotateKey(),
    getTools: async () => {
      if (!signedIn.accountId)
        throw easelError('not-signed-in', 'sign in to see what the server offers');
      return engine.tools();
    },
    getEngine: async () => engine.view(),
    testEngine: async (patch) => engine.test(patch),
    saveEngine: async (patch) => engine.save(patch),
    listPurchases: async () => http.json('GET', '/v1/purchases', { schema: PurchaseListResponse }),
    getAutoTopup: async () =>
      http.json('GET', '/v1/account/auto-topup', { schema: AutoTopupResponse }),
    setAutoTopup: async (body) => {
      const view = await http.json('POST', '/v1/account/auto-topup', {
        schema: AutoTopupResponse,
        body,
      });
      return view;
    },
  };

  return {
    impl,
    events,
    fileBytes: (sha256) => jobs.fileBytes(sha256),
    async handleLink(url) {
      const link = parseEaselLink(url);
      if (link?.kind === 'purchase-return') await purchases.handleReturn(link.sessionId);
      else if (link?.kind === 'sync') await refreshHead();
      // Joining is the user's answer to a prompt, never the link's own doing (§14).
      else if (link?.kind === 'team-invite') pendingInvite.set(link.token);
    },
    async close() {
      if (poll) clearInterval(poll);
      heartbeat?.close();
      await deviceState.shutdown();
      purchases.close();
      jobs.close();
      connectivity.close();
    },
    testing: { connectivity, device, ledger, keys, deviceState },
  };
}
