import type { PlanStatus } from '../../shared/api/plans';
import {
  EaselError,
  type EaselApi,
  type IpcEvent,
  type IpcEventPayload,
  type IpcResult,
} from '../../shared/ipc/contract';
import type {
  AllowanceState,
  JobView,
  PurchaseStatus,
  Settings,
  SyncState,
} from '../../shared/ipc/types';
import type { Design } from '../../shared/api/catalog';
import { CreateJobRequest } from '../../shared/api/jobs';
import type { LedgerEntry } from '../../shared/ledger/entry';
import { ChainWriter } from '../../shared/ledger/writer';
import { signCheckpoint } from '../../shared/ledger/checkpoint';
import { quote } from '../../shared/pricing/quote';
import { signPriceBook } from '../../shared/pricing/signed';
import { defaultPriceBook } from '../../shared/pricing/fixtures/default';
import type { QuoteRequest } from '../../shared/pricing/request';
import { allocate } from '../../shared/wallet/allocate';
import { planCapture, planRefund } from '../../shared/wallet/plan';
import { testServerKey, testServerKeys } from '../../shared/testing/ledger-fixture';

type Listener = (payload: unknown) => void;

/** An in-memory EaselApi with a real signed chain, for component and store tests. */
export interface FakeEasel extends EaselApi {
  readonly writer: ChainWriter;
  readonly entries: LedgerEntry[];
  online: boolean;
  calls: string[];
  emit<E extends IpcEvent>(event: E, payload: IpcEventPayload<E>): void;
  grant(amount: number, source?: 'daily' | 'bonus' | 'pack', expiresInDays?: number): void;
  completePurchase(sessionId: string): void;
  /** Appends n small grants quickly (for scale tests). */
  bulkGrant(n: number): void;
}

const PNG_1PX =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

export function createFakeEasel(
  options: { accountId?: string; signedIn?: boolean } = {},
): FakeEasel {
  const accountId = options.accountId ?? 'acct-1';
  const writer = new ChainWriter(accountId);
  const entries: LedgerEntry[] = [];
  const listeners = new Map<string, Set<Listener>>();
  const jobs = new Map<string, JobView>();
  const purchases = new Map<string, PurchaseStatus>();
  let signedIn = options.signedIn ?? true;
  // As main keeps them: signing in marks a returning user.
  let settings: Settings = {
    serverUrl: 'http://127.0.0.1:4000',
    allowanceAmount: 100,
    allowanceDays: 7,
    galleryDir: '/tmp/gallery',
    theme: 'system',
    returningUser: false,
    lowBalanceAlert: null,
    expiryAlertDays: 3,
  };
  let clock = Date.now() - 3_600_000;
  let op = 0;
  let allowance: AllowanceState | null = null;
  let autoTopup: IpcResult<'getAutoTopup'> = {
    settings: null,
    paymentMethod: null,
    spentThisMonthCents: 0,
    resetsAt: '2026-12-01T00:00:00.000Z',
    recent: [],
  };
  const owned = new Set<string>();
  const signedBook = signPriceBook(defaultPriceBook, testServerKey);
  const book = signedBook.book;

  const now = (): string => new Date((clock += 1)).toISOString();
  const uid = (p: string): string => `${p}-${++op}`;
  const append = (draft: Parameters<ChainWriter['append']>[0]): LedgerEntry => {
    const e = writer.append(draft, now());
    entries.push(e);
    return e;
  };
  const emit = <E extends IpcEvent>(event: E, payload: IpcEventPayload<E>): void => {
    for (const l of listeners.get(event) ?? []) l(payload);
  };
  let storedHead: { seq: number; hash: string } | null = null;
  const needOnline = (): void => {
    if (!fake.online) throw new EaselError('offline', 'the server cannot be reached');
  };
  const syncState = (): SyncState => ({
    status: fake.online ? 'idle' : 'offline',
    progress: null,
    offlineSince: fake.online ? null : '2026-11-20T09:00:00.000Z',
    lastSyncedAt: null,
    error: null,
    pendingMutations: 0,
  });
  const session = () => ({
    signedIn,
    accountId: signedIn ? accountId : null,
    email: signedIn ? 'ada@example.com' : null,
    deviceId: signedIn ? 'dev-1' : null,
    serverUrl: 'http://127.0.0.1:4000',
    insecureStorage: false,
  });
  const designs: Design[] = [
    {
      designId: 'd-sunset',
      title: 'Sunset frame',
      description: 'A warm frame',
      priceCents: 50,
      credits: 50,
      previewSvg: '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
      owned: false,
    },
  ];

  let spendingLimits = {
    daily: { limit: null as number | null, used: 0, resetsAt: '2026-11-11T00:00:00.000Z' },
    monthly: { limit: null as number | null, used: 0, resetsAt: '2026-12-01T00:00:00.000Z' },
  };

  let plan: PlanStatus = {
    planId: 'free',
    title: 'Free',
    priceCents: 0,
    currency: 'usd',
    creditsPerPeriod: 0,
    dailyCredits: 20,
    rolloverCap: 0,
    renewsAt: null,
    nextGrant: { at: '2026-11-11T00:00:00.000Z', credits: 20, kind: 'daily' },
    cancelAtPeriodEnd: false,
    pendingPlanId: null,
    provider: 'sandbox',
    portal: false,
  };

  const fake: FakeEasel = {
    transport: 'browser',
    writer,
    entries,
    online: true,
    calls: [],
    emit,
    grant(amount, source = 'daily', expiresInDays = 1) {
      const at = new Date(clock + 1).toISOString();
      append({
        type: 'grant',
        operationId: uid('op'),
        reason: `${source} grant`,
        bucket: {
          bucketId: uid('b'),
          kind: 'image',
          source,
          amount,
          costBasisCents: 0,
          effectiveAt: at,
          expiresAt: new Date(clock + 1 + expiresInDays * 86_400_000).toISOString(),
          priority: source === 'daily' ? 10 : 100,
        },
      });
    },
    bulkGrant(n) {
      for (let i = 0; i < n; i++) fake.grant(1, 'bonus', 365);
    },
    completePurchase(sessionId) {
      const p = purchases.get(sessionId);
      if (!p) return;
      const at = new Date(clock + 1).toISOString();
      append({
        type: 'purchase',
        operationId: uid('op'),
        purchaseId: sessionId,
        provider: 'sandbox',
        paymentRef: sessionId,
        itemId: 'pack-small',
        priceCents: 500,
        currency: 'usd',
        buckets: [
          {
            bucketId: uid('b'),
            kind: 'image',
            source: 'pack',
            amount: 100,
            costBasisCents: 500,
            effectiveAt: at,
            expiresAt: null,
            priority: 200,
          },
        ],
      });
      const done: PurchaseStatus = { ...p, status: 'credited' };
      purchases.set(sessionId, done);
      emit('purchaseUpdate', done);
      emit('ledgerChanged', { headSeq: writer.current.seq });
    },
    on(event, listener) {
      const set = listeners.get(event) ?? new Set<Listener>();
      listeners.set(event, set);
      set.add(listener as Listener);
      return () => set.delete(listener as Listener);
    },
    async getSession() {
      return session();
    },
    async signUp() {
      signedIn = true;
      settings = { ...settings, returningUser: true };
      return session();
    },
    async signIn() {
      signedIn = true;
      settings = { ...settings, returningUser: true };
      return session();
    },
    async signOut() {
      signedIn = false;
      return session();
    },
    async getSignUpOffer() {
      return {
        welcome: { credits: 50, expiresInDays: 30 },
        dailyCredits: 20,
        password: { minLength: 10, maxLength: 200 },
      };
    },
    async getSettings() {
      return settings;
    },
    async updateSettings(patch) {
      settings = { ...settings, ...patch };
      return settings;
    },
    async getSyncState() {
      return syncState();
    },
    async syncNow() {
      return syncState();
    },
    async pullBatch({ after, limit }) {
      fake.calls.push('pullBatch');
      needOnline();
      const max = limit ?? 1000;
      const batch = entries.slice(after.seq, after.seq + max);
      const last = batch.at(-1);
      const seq = last ? last.seq : after.seq;
      // A checkpoint at the batch end: balances as of that entry (the fake only needs signature).
      const cp = {
        accountId,
        seq,
        head: last ? last.hash : after.hash,
        balances: {},
        issuedAt: now(),
        keyId: testServerKey.keyId,
      };
      return {
        entries: batch.map((e) => ({ seq: e.seq, hash: e.hash, body: e.body })),
        checkpoint: signCheckpoint(cp, testServerKey.secretKey),
        headSeq: writer.current.seq,
      };
    },
    async batchStored(head) {
      fake.calls.push('batchStored');
      // As main does: the highest head confirmed stored, kept outside the renderer's cache.
      if (!storedHead || head.seq > storedHead.seq) storedHead = head;
      return syncState();
    },
    async getStoredHead() {
      return storedHead;
    },
    async getKeys() {
      return testServerKeys;
    },
    async getPriceBook() {
      return signedBook;
    },
    async listDesigns() {
      needOnline();
      return designs.map((d) => ({ ...d, owned: owned.has(d.designId) }));
    },
    async redeemDesign({ designId, expectedCredits }) {
      const d = designs.find((x) => x.designId === designId);
      if (!d) throw new EaselError('not-found', 'no such design');
      if (d.credits !== expectedCredits) throw new EaselError('price-changed', 'price changed');
      if (!fake.online) {
        if (!allowance || allowance.amount - allowance.spentOffline < d.credits)
          throw new EaselError('allowance-exceeded', 'not enough offline allowance');
        allowance = { ...allowance, spentOffline: allowance.spentOffline + d.credits };
        owned.add(designId);
        return { designId, credits: d.credits, mode: 'offline', voucherCounter: 1 };
      }
      const splits = allocate(writer.view(now()).buckets, 'image', d.credits);
      append({
        type: 'spend',
        operationId: uid('op'),
        kind: 'image',
        amount: d.credits,
        splits,
        purpose: { kind: 'design', designId },
      });
      owned.add(designId);
      emit('ledgerChanged', { headSeq: writer.current.seq });
      return { designId, credits: d.credits, mode: 'online', voucherCounter: null };
    },
    async designFile() {
      return { mime: 'image/svg+xml', base64: btoa('<svg/>') };
    },
    async getAllowance() {
      return allowance;
    },
    async takeAllowance({ amount }) {
      allowance = {
        allowanceId: uid('al'),
        kind: 'image',
        amount: amount ?? 100,
        spentOffline: 0,
        settled: 0,
        expiresAt: '2026-11-27T10:00:00.000Z',
        status: 'open',
        pendingVouchers: 0,
        rejected: [],
      };
      return allowance;
    },
    async returnAllowance() {
      allowance = null;
      return null;
    },
    async getStoreCatalog() {
      return {
        packs: [
          {
            itemId: 'pack-small',
            title: 'Starter pack',
            credits: 100,
            bonusCredits: 0,
            priceCents: 500,
            currency: 'usd',
            expiresInDays: 365,
          },
        ],
        plans: [
          {
            itemId: 'plan-pro',
            title: 'Pro monthly',
            monthlyCredits: 1000,
            priceCents: 1500,
            currency: 'usd',
            dailyCredits: 50,
            expiresInDays: 30,
            rolloverCap: 0,
          },
        ],
        provider: 'sandbox',
      };
    },
    async startCheckout() {
      needOnline();
      const p: PurchaseStatus = { sessionId: uid('cs'), status: 'pending', message: null };
      purchases.set(p.sessionId, p);
      return p;
    },
    async getPurchase({ sessionId }) {
      const p = purchases.get(sessionId);
      if (!p) throw new EaselError('not-found', 'no such purchase');
      return p;
    },
    async uploadImage() {
      return { uploadId: uid('up'), width: 512, height: 512, format: 'png' };
    },
    async submitJob({ operationId, tool, params, quote: q }) {
      needOnline();
      // The server's own request schema: params the server would refuse fail here too.
      const request = CreateJobRequest.parse({ operationId, tool, params, quote: q });
      // Uploads here are all 512 × 512.
      const fresh = quote(
        book,
        request.tool === 'generate'
          ? { tool: 'generate', ...request.params }
          : ({ tool: request.tool, ...request.params, width: 512, height: 512 } as QuoteRequest),
      );
      if (fresh.credits !== q.credits) throw new EaselError('quote-changed', 'fresh quote', fresh);
      const holdId = uid('hold');
      const jobId = uid('job');
      const splits = allocate(writer.view(now()).buckets, 'image', q.credits);
      append({
        type: 'hold',
        operationId,
        holdId,
        kind: 'image',
        amount: q.credits,
        splits,
        expiresAt: new Date(clock + 900_000).toISOString(),
        purpose: { kind: 'job', jobId, tool },
      });
      const count = typeof params.count === 'number' ? params.count : 1;
      const job: JobView = {
        jobId,
        operationId,
        tool,
        state: tool === 'cutout' ? 'awaiting-confirm' : 'succeeded',
        progress: 1,
        stage: null,
        etaSeconds: null,
        heldCredits: q.credits,
        capturedCredits: tool === 'cutout' ? null : q.credits,
        error: null,
        outputs: Array.from({ length: count }, (_, i) => ({
          itemId: `${jobId}-img-${i}`,
          sha256: 'ab'.repeat(32),
          width: 512,
          height: 512,
          mime: 'image/png',
          refundCredits: tool === 'generate' ? 4 : 0,
          disliked: false,
          localPath: null,
        })),
        createdAt: new Date(clock).toISOString(),
        params,
      };
      if (tool !== 'cutout') {
        const hold = writer.fold.hold(holdId);
        if (hold)
          append({
            type: 'capture',
            operationId: uid('op'),
            holdId,
            amount: q.credits,
            splits: planCapture(hold, q.credits),
          });
      }
      jobs.set(jobId, job);
      emit('ledgerChanged', { headSeq: writer.current.seq });
      return job;
    },
    async listJobs() {
      return [...jobs.values()];
    },
    async cancelJob({ jobId }) {
      const j = jobs.get(jobId);
      if (!j) throw new EaselError('not-found', 'no job');
      return j;
    },
    async confirmJob({ jobId }) {
      return resolveCutout(jobId, true);
    },
    async discardJob({ jobId }) {
      return resolveCutout(jobId, false);
    },
    async dislikeItem({ itemId }) {
      const job = [...jobs.values()].find((j) => j.outputs.some((o) => o.itemId === itemId));
      const hold = job ? findHold(job.jobId) : undefined;
      const payment = hold ? writer.fold.payment(hold) : undefined;
      if (!job || !hold || !payment) throw new EaselError('not-refundable', 'cannot refund');
      const at = now();
      const plan = planRefund(payment, (id) => writer.fold.isBucketLive(id, at), 4, {
        bucketId: uid('b'),
        costBasisCents: 0,
        effectiveAt: at,
        expiresAt: null,
        priority: 100,
      });
      append({
        type: 'refund',
        operationId: uid('op'),
        itemId,
        paidBy: hold,
        kind: 'image',
        amount: 4,
        splits: plan.splits,
        newBucket: plan.newBucket,
        reason: 'disliked image',
      });
      emit('ledgerChanged', { headSeq: writer.current.seq });
      return { itemId, credits: 4 };
    },
    async getFile() {
      return { mime: 'image/png', base64: PNG_1PX };
    },
    async fileBlob() {
      return new Blob([Uint8Array.from(atob(PNG_1PX), (c) => c.charCodeAt(0))], {
        type: 'image/png',
      });
    },
    async openLink() {
      return { opened: true };
    },
    async notify() {
      return { shown: false };
    },
    async getDeviceHealth() {
      return { problems: [] };
    },
    async resyncDeviceState() {
      return { problems: [] };
    },
    async rotateDeviceKey() {
      return { problems: [] };
    },
    async getTools() {
      return fakeTools();
    },
    async getPlan() {
      return plan;
    },
    async changePlan({ itemId }) {
      plan = { ...plan, pendingPlanId: itemId };
      return { outcome: 'downgrade-scheduled' as const, creditsGranted: 0, plan };
    },
    async cancelPlan() {
      plan = { ...plan, cancelAtPeriodEnd: true, nextGrant: null };
      return { outcome: 'cancel-scheduled' as const, creditsGranted: 0, plan };
    },
    async resumePlan() {
      plan = { ...plan, cancelAtPeriodEnd: false };
      return { outcome: 'resumed' as const, creditsGranted: 0, plan };
    },
    async openPlanPortal() {
      return { url: 'https://billing.stripe.com/p/session/test', opened: false };
    },
    async redeemPromo({ code }) {
      return { code, credits: 10, kind: 'image', seq: 1, expiresAt: null };
    },
    async getSpendingLimits() {
      return spendingLimits;
    },
    async setSpendingLimits(limits) {
      spendingLimits = {
        daily: { ...spendingLimits.daily, limit: limits.daily },
        monthly: { ...spendingLimits.monthly, limit: limits.monthly },
      };
      return spendingLimits;
    },
    async getEngine() {
      return {
        mode: 'embedded' as const,
        state: {
          kind: 'preview' as const,
          baseUrl: null,
          hasKey: false,
          models: {},
          report: {
            ok: true as const,
            server: 'Easel Preview',
            version: null,
            device: null,
            models: [],
            faceEnhance: false,
            summary: 'The built-in preview runs offline; it draws abstract pictures and is not AI.',
          },
          capabilities: fakeTools().generate.models,
        },
        error: null,
        insecureKeyStorage: false,
      };
    },
    async testEngine() {
      return {
        report: {
          ok: false as const,
          failure: 'refused' as const,
          message: 'Nothing answers in the fake.',
        },
        capabilities: [],
      };
    },
    async saveEngine() {
      return fake.getEngine({});
    },
    async listPurchases() {
      return { purchases: [] };
    },
    async getAutoTopup() {
      return autoTopup;
    },
    async setAutoTopup(settings) {
      autoTopup = { ...autoTopup, settings };
      return autoTopup;
    },
    // Teams (docs/architecture.md §14): the fake belongs to none and makes none.
    async listTeams() {
      return { teams: [] };
    },
    getTeam: noTeams,
    createTeam: noTeams,
    inviteTeamMember: noTeams,
    acceptTeamInvite: noTeams,
    // No invite link ever reaches the fake.
    async pendingTeamInvite() {
      return { token: null };
    },
    async dismissTeamInvite() {
      return { token: null };
    },
    previewTeamInvite: noTeams,
    setTeamRole: noTeams,
    removeTeamMember: noTeams,
    setTeamBudget: noTeams,
    createTeamProject: noTeams,
    getTeamWallet: noTeams,
  };

  /** Only the offline preview, as a server without an image engine answers. */
  function fakeTools() {
    const ready = { available: true, reason: null };
    return {
      generate: {
        provider: { id: 'easel-preview', label: 'Easel Preview (offline, not AI)' },
        preview: { id: 'easel-preview', label: 'Easel Preview (offline, not AI)' },
        models: Object.entries(defaultPriceBook.tools.generate?.models ?? {}).map(([id, m]) => ({
          id,
          label: m.label,
          engineModel: id === 'easel-preview' ? id : null,
          available: id === 'easel-preview',
          reason: id === 'easel-preview' ? null : 'No image engine is connected.',
        })),
        textToImage: ready,
        imageToImage: ready,
        maxPromptLength: 1000,
      },
      filter: ready,
      upscale: ready,
      cutout: ready,
      faceEnhance: { available: false, reason: 'No engine here offers face enhance.' },
      uploads: {
        maxBytes: 25 * 1024 * 1024,
        maxPixels: 40_000_000,
        formats: ['png' as const, 'jpeg' as const, 'webp' as const],
      },
    };
  }

  function findHold(jobId: string): string | undefined {
    for (const e of entries) {
      const d = e.data;
      if (d.type === 'hold' && d.purpose.kind === 'job' && d.purpose.jobId === jobId)
        return d.holdId;
    }
    return undefined;
  }

  function resolveCutout(jobId: string, confirm: boolean): JobView {
    const j = jobs.get(jobId);
    const holdId = findHold(jobId);
    const hold = holdId ? writer.fold.hold(holdId) : undefined;
    if (!j || !hold) throw new EaselError('not-found', 'no job');
    if (confirm)
      append({
        type: 'capture',
        operationId: uid('op'),
        holdId: hold.holdId,
        amount: hold.amount,
        splits: planCapture(hold, hold.amount),
      });
    else
      append({
        type: 'release',
        operationId: uid('op'),
        holdId: hold.holdId,
        amount: hold.amount,
        reason: 'discarded',
      });
    const done: JobView = {
      ...j,
      state: confirm ? 'confirmed' : 'discarded',
      capturedCredits: confirm ? hold.amount : 0,
    };
    jobs.set(jobId, done);
    emit('ledgerChanged', { headSeq: writer.current.seq });
    return done;
  }

  return fake;
}

async function noTeams(): Promise<never> {
  throw new EaselError('not-found', 'team not found');
}
