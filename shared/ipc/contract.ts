import { z } from 'zod';
import { SetSpendingLimitsRequest, SpendingLimitsResponse } from '../api/limits';
import { PromoCode, RedeemPromoResponse } from '../api/promo';
import { PurchaseListResponse } from '../api/purchase-list';
import { AutoTopupResponse, SetAutoTopupRequest } from '../api/auto-topup';
import {
  AcceptInviteRequest,
  InvitePreview,
  InviteToken,
  CreateTeamRequest,
  InviteRequest,
  InviteResponse,
  SetBudgetRequest,
  TeamDetail,
  TeamListResponse,
  TeamRole,
  TeamSummary,
  TeamWalletView,
} from '../api/teams';
import { Id } from '../ledger/primitives';
import { PlanChangeResponse, PlanStatus } from '../api/plans';
import {
  AllowanceState,
  ChainHeadParam,
  Credentials,
  Design,
  DeviceHealth,
  DevicePart,
  Empty,
  EngineSettingsPatch,
  EngineTestResult,
  EngineView,
  FileData,
  JobPreview,
  JobView,
  PublicKeyInfo,
  PurchaseStatus,
  RedeemResult,
  SessionInfo,
  Settings,
  SettingsPatch,
  SignedPriceBook,
  SignUpOffer,
  StoreCatalog,
  SubmitJob,
  ListJobs,
  SyncState,
  ToolsResponse,
  Upload,
  UploadResult,
  VerificationFailure,
  VerifiedBatch,
  FileSha256,
} from './types';

/** The invite link waiting for an answer, by its token; null when none. */
const PendingTeamInvite = z.strictObject({ token: InviteToken.nullable() });

/**
 * The one typed IPC contract between main and renderer (docs/architecture.md §1). Each call names its
 * params and result schemas; main validates every payload against them before a handler runs,
 * and the same table is served over Electron IPC and over browser mode's loopback HTTP.
 * There is no generic `invoke(channel, any)`: the preload exposes one function per call.
 */

/** Which wallet an allowance call is about: a team's, or the personal one when absent. */
const WalletChoice = z.strictObject({ teamId: Id.optional() });
export const ipcCalls = {
  getSession: { params: Empty, result: SessionInfo },
  signUp: { params: Credentials, result: SessionInfo },
  signIn: { params: Credentials, result: SessionInfo },
  signOut: { params: Empty, result: SessionInfo },
  /** What a new account gets and the password rule, from the server (no sign-in needed). */
  getSignUpOffer: { params: Empty, result: SignUpOffer },

  getSettings: { params: Empty, result: Settings },
  updateSettings: { params: SettingsPatch, result: Settings },

  getSyncState: { params: Empty, result: SyncState },
  syncNow: { params: Empty, result: SyncState },
  /** Next verified batch after the renderer's stored head; refuses a broken or forged chain. */
  pullBatch: {
    params: z.strictObject({ after: ChainHeadParam, limit: z.int().min(1).max(5000).optional() }),
    result: VerifiedBatch,
  },
  /** The renderer confirms a batch is stored (its new head), so main can report progress. */
  batchStored: { params: ChainHeadParam, result: SyncState },
  getKeys: { params: Empty, result: z.array(PublicKeyInfo) },
  /**
   * The highest head the renderer confirmed stored (kept by main, outside the renderer's cache):
   * a cache behind it was rolled back (docs/architecture.md §4).
   */
  getStoredHead: { params: Empty, result: ChainHeadParam.nullable() },
  getPriceBook: { params: Empty, result: SignedPriceBook },

  listDesigns: { params: Empty, result: z.array(Design) },
  redeemDesign: {
    params: z.strictObject({
      designId: z.string().min(1).max(128),
      expectedCredits: z.int().min(0),
      priceBookVersion: z.int().min(1),
      /** Spend from this team wallet's offline allowance instead (docs/architecture.md §14). */
      teamId: Id.optional(),
      /** The team project the design is for (null or absent: none). */
      projectId: Id.nullable().optional(),
    }),
    result: RedeemResult,
  },
  designFile: {
    params: z.strictObject({ designId: z.string().min(1).max(128) }),
    result: FileData,
  },

  /** The offline allowance of the personal wallet, or of `teamId`'s wallet when given (§5, §14). */
  getAllowance: { params: WalletChoice, result: AllowanceState.nullable() },
  takeAllowance: {
    params: z.strictObject({
      amount: z.int().min(1).max(100_000).optional(),
      days: z.int().min(1).max(30).optional(),
      teamId: Id.optional(),
    }),
    result: AllowanceState,
  },
  returnAllowance: { params: WalletChoice, result: AllowanceState.nullable() },

  /** Settings → Spending limits: the user's daily and monthly limits and what is used (online). */
  getSpendingLimits: { params: Empty, result: SpendingLimitsResponse },
  setSpendingLimits: { params: SetSpendingLimitsRequest, result: SpendingLimitsResponse },

  getStoreCatalog: { params: Empty, result: StoreCatalog },
  /** Store → Promo code: redeems a code for a signed promo grant (online). */
  redeemPromo: { params: z.strictObject({ code: PromoCode }), result: RedeemPromoResponse },
  startCheckout: {
    params: z.strictObject({ itemId: z.string().min(1).max(128) }),
    result: PurchaseStatus,
  },
  /** Plan self-service (docs/architecture.md §7): Store, Wallet and Settings (online). */
  getPlan: { params: Empty, result: PlanStatus },
  changePlan: {
    params: z.strictObject({ itemId: z.string().min(1).max(128) }),
    result: PlanChangeResponse,
  },
  cancelPlan: { params: Empty, result: PlanChangeResponse },
  resumePlan: { params: Empty, result: PlanChangeResponse },
  /** Opens Stripe's customer portal; browser mode returns the url for a tab (`opened` false). */
  openPlanPortal: {
    params: Empty,
    result: z.strictObject({ url: z.string().url(), opened: z.boolean() }),
  },
  getPurchase: {
    params: z.strictObject({ sessionId: z.string().min(1).max(256) }),
    result: PurchaseStatus,
  },

  uploadImage: { params: Upload, result: UploadResult },
  submitJob: { params: SubmitJob, result: JobView },
  listJobs: { params: ListJobs, result: z.array(JobView) },
  cancelJob: { params: z.strictObject({ jobId: z.string().min(1).max(128) }), result: JobView },
  confirmJob: { params: z.strictObject({ jobId: z.string().min(1).max(128) }), result: JobView },
  discardJob: { params: z.strictObject({ jobId: z.string().min(1).max(128) }), result: JobView },
  dislikeItem: {
    params: z.strictObject({ itemId: z.string().min(1).max(128) }),
    result: z.strictObject({ itemId: z.string(), credits: z.int() }),
  },
  getFile: {
    params: z.strictObject({ sha256: FileSha256 }),
    result: FileData,
  },

  /**
   * Opens an https link (a receipt, a checkout) in the system browser through main's allow-list
   * (docs/architecture.md §1); main refuses anything else with `opened: false`.
   */
  openLink: {
    params: z.strictObject({ url: z.string().url().max(2000) }),
    result: z.strictObject({ opened: z.boolean() }),
  },
  /**
   * A system notification (a run finished while the user was elsewhere). `shown: false` where
   * main has none (browser mode): the renderer then uses the web Notification API or a toast.
   */
  notify: {
    params: z.strictObject({ title: z.string().min(1).max(120), body: z.string().max(400) }),
    result: z.strictObject({ shown: z.boolean() }),
  },

  /** What main could not read (docs/architecture.md §10), each with its way out. */
  getDeviceHealth: { params: Empty, result: DeviceHealth },
  /** Rebuilds one unreadable part from the server; the unreadable file is kept aside. */
  resyncDeviceState: { params: z.strictObject({ part: DevicePart }), result: DeviceHealth },
  /** Replaces this device's signing key through the server (online only). */
  rotateDeviceKey: { params: Empty, result: DeviceHealth },
  /** What the server can run now: tools, priced models (available or why not), upload limits. */
  getTools: { params: Empty, result: ToolsResponse },
  /** Teams (docs/architecture.md §14): the caller's teams, one team's settings, its wallet. */
  listTeams: { params: Empty, result: TeamListResponse },
  getTeam: { params: z.strictObject({ teamId: Id }), result: TeamDetail },
  createTeam: { params: CreateTeamRequest, result: TeamSummary },
  inviteTeamMember: { params: InviteRequest.extend({ teamId: Id }), result: InviteResponse },
  acceptTeamInvite: { params: AcceptInviteRequest, result: TeamSummary },
  /**
   * An `easel://team-invite` link that reached the app (§14) and waits for the user's answer;
   * it stays until they join or dismiss it, so signing in first loses nothing.
   */
  pendingTeamInvite: { params: Empty, result: PendingTeamInvite },
  dismissTeamInvite: { params: Empty, result: PendingTeamInvite },
  /** What the invite is and whether this account may join: asked before offering to join. */
  previewTeamInvite: { params: AcceptInviteRequest, result: InvitePreview },
  setTeamRole: {
    params: z.strictObject({ teamId: Id, memberId: Id, role: TeamRole }),
    result: TeamDetail,
  },
  removeTeamMember: {
    params: z.strictObject({ teamId: Id, memberId: Id }),
    result: TeamDetail.nullable(),
  },
  setTeamBudget: {
    params: SetBudgetRequest.omit({ operationId: true }).extend({ teamId: Id }),
    result: TeamDetail,
  },
  createTeamProject: {
    params: z.strictObject({ teamId: Id, name: z.string().trim().min(1).max(80) }),
    result: TeamDetail,
  },
  /** The team wallet folded from its chain, which main verified (or its verified copy, offline). */
  getTeamWallet: { params: z.strictObject({ teamId: Id }), result: TeamWalletView },
  /** Settings → Image engine: the embedded server's engine, or what a remote server offers. */
  getEngine: { params: Empty, result: EngineView },
  /** What an engine answers with these settings, without using them. */
  testEngine: { params: EngineSettingsPatch, result: EngineTestResult },
  /** Uses and keeps these settings (the key in the OS keyring), without a restart. */
  saveEngine: { params: EngineSettingsPatch, result: EngineView },
  /** Store → Purchases: what was bought, with receipts, refunds and disputes (online, §7). */
  listPurchases: { params: Empty, result: PurchaseListResponse },
  /** Settings → Auto top-up (online, §7). */
  getAutoTopup: { params: Empty, result: AutoTopupResponse },
  setAutoTopup: { params: SetAutoTopupRequest, result: AutoTopupResponse },
} as const;

/** Events main pushes to the renderer. */
export const ipcEvents = {
  syncState: SyncState,
  /** New entries exist on the server: pull. */
  ledgerChanged: z.strictObject({ headSeq: z.int() }),
  verificationFailed: VerificationFailure,
  jobUpdate: JobView,
  /** A look at an image while its job runs. */
  jobPreview: JobPreview,
  purchaseUpdate: PurchaseStatus,
  allowanceUpdate: AllowanceState.nullable(),
  deviceHealth: DeviceHealth,
  /** An invite link reached the app (open-url, second instance, browser-mode host). */
  teamInviteLink: PendingTeamInvite,
} as const;

export type IpcCall = keyof typeof ipcCalls;
export type IpcEvent = keyof typeof ipcEvents;
export type IpcParams<C extends IpcCall> = z.input<(typeof ipcCalls)[C]['params']>;
export type IpcResult<C extends IpcCall> = z.output<(typeof ipcCalls)[C]['result']>;
export type IpcEventPayload<E extends IpcEvent> = z.output<(typeof ipcEvents)[E]>;

/** Errors cross the bridge as data (Electron mangles thrown errors), then become EaselError again. */
export const IpcEnvelope = z.union([
  z.strictObject({ ok: z.literal(true), value: z.unknown() }),
  z.strictObject({
    ok: z.literal(false),
    error: z.strictObject({
      code: z.string(),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  }),
]);
export type IpcEnvelope = z.infer<typeof IpcEnvelope>;

export class EaselError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'EaselError';
  }
}

/** `window.easel`: one typed function per call, plus event subscriptions. */
export type EaselApi = {
  [C in IpcCall]: (params: IpcParams<C>) => Promise<IpcResult<C>>;
} & {
  on<E extends IpcEvent>(event: E, listener: (payload: IpcEventPayload<E>) => void): () => void;
  /** 'electron' or 'browser' (loopback HTTP + SSE). */
  readonly transport: 'electron' | 'browser';
  /**
   * A result file's bytes over `FILE_ROUTE` (docs/architecture.md §1): no base64, no JSON, so the
   * window's thread only gets a Blob handle. Same file and checks as `getFile`.
   */
  fileBlob(sha256: string): Promise<Blob>;
};

export const ipcCallNames = Object.keys(ipcCalls) as IpcCall[];
export const ipcEventNames = Object.keys(ipcEvents) as IpcEvent[];
/** Electron channel names are namespaced so no other IPC can collide with them. */
export const channelOf = (call: IpcCall | IpcEvent): string => `easel:${call}`;
