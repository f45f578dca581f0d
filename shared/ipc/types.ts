import { z } from 'zod';
import { Design } from '../api/catalog';
import { EngineKind, EngineModelMap, EngineState, EngineTestResult } from '../api/engine';
import { JobState, JobTool, ToolsResponse } from '../api/jobs';
import { Email } from '../api/common';
import { SignUpOffer } from '../api/auth';
import { PublicKeyInfo, SignedCheckpoint } from '../ledger/checkpoint';
import { WireEntry } from '../ledger/entry';
import { SignedPriceBook } from '../pricing/signed';

/** Shapes that cross between main and renderer. Main validates every payload it receives. */

export const Empty = z.strictObject({});

export const SessionInfo = z.strictObject({
  signedIn: z.boolean(),
  accountId: z.string().nullable(),
  email: z.string().nullable(),
  deviceId: z.string().nullable(),
  serverUrl: z.string(),
  /** Set when the session token could only be stored in plain text (Linux without a keyring). */
  insecureStorage: z.boolean(),
});
export type SessionInfo = z.infer<typeof SessionInfo>;

export const Credentials = z.strictObject({ email: Email, password: z.string().min(1).max(200) });

/** Light, dark, or as the system says (prefers-color-scheme). */
export const ThemeSetting = z.enum(['system', 'light', 'dark']);
export type ThemeSetting = z.infer<typeof ThemeSetting>;

const settingsFields = {
  serverUrl: z.string().url(),
  allowanceAmount: z.int().min(0).max(100_000),
  allowanceDays: z.int().min(1).max(30),
  galleryDir: z.string(),
  theme: ThemeSetting,
  /** Someone has signed in on this device: the sign-in form opens on "Sign in", not sign-up. */
  returningUser: z.boolean(),
  /**
   * Alerts (docs/architecture.md §7): warn below this many available credits; null: below the
   * cost of two runs of the user's usual tool; 0: never.
   */
  lowBalanceAlert: z.int().min(0).max(10_000_000).nullable(),
  /** Warn of credits expiring within this many days; 0: never. */
  expiryAlertDays: z.int().min(0).max(30),
};
/** Device settings (docs/architecture.md §10); fields added later default, so older files read. */
export const Settings = z.strictObject({
  ...settingsFields,
  theme: settingsFields.theme.default('system'),
  returningUser: settingsFields.returningUser.default(false),
  lowBalanceAlert: settingsFields.lowBalanceAlert.default(null),
  expiryAlertDays: settingsFields.expiryAlertDays.default(3),
});
export type Settings = z.infer<typeof Settings>;
/** No defaults here: a patch names only what it changes. */
export const SettingsPatch = z.strictObject(settingsFields).partial();

export const SyncState = z.strictObject({
  status: z.enum(['idle', 'syncing', 'offline', 'error']),
  progress: z.strictObject({ done: z.int(), total: z.int() }).nullable(),
  offlineSince: z.string().nullable(),
  lastSyncedAt: z.string().nullable(),
  error: z.strictObject({ code: z.string(), message: z.string() }).nullable(),
  /** Device mutations persisted but not yet acknowledged by the server. */
  pendingMutations: z.int(),
});
export type SyncState = z.infer<typeof SyncState>;

export const ChainHeadParam = z.strictObject({
  seq: z.int().min(0),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
});

/** A batch main has verified (chain extends `after`, checkpoint signature good). */
export const VerifiedBatch = z.strictObject({
  entries: z.array(WireEntry),
  checkpoint: SignedCheckpoint,
  headSeq: z.int(),
});
export type VerifiedBatch = z.infer<typeof VerifiedBatch>;

export const AllowanceState = z.strictObject({
  allowanceId: z.string(),
  kind: z.string(),
  amount: z.int(),
  /** Spent offline with vouchers signed on this device (settled or not). */
  spentOffline: z.int(),
  settled: z.int(),
  expiresAt: z.string(),
  status: z.enum(['open', 'closed']),
  pendingVouchers: z.int(),
  rejected: z.array(
    z.strictObject({
      counter: z.int(),
      code: z.string(),
      message: z.string(),
      /** The allowance and the design the refused voucher was for, so its claim can be undone. */
      allowanceId: z.string().optional(),
      designId: z.string().nullable().optional(),
    }),
  ),
  /** Whether the reserve entry was checked against a signed checkpoint (docs/architecture.md §5). */
  verified: z.boolean().optional(),
  /** Why offline spending is stopped now (an unreadable device key, an unverified reserve). */
  blockedReason: z.string().nullable().optional(),
});
export type AllowanceState = z.infer<typeof AllowanceState>;

/** Parts of main's device state that can be unreadable (docs/architecture.md §10). */
export const DevicePart = z.enum([
  'settings',
  'session',
  'server-keys',
  'device-state',
  'secrets',
  'device-key',
]);
export type DevicePart = z.infer<typeof DevicePart>;

/** What main could not read, and the way out for each: never a silent reset. */
export const DeviceHealth = z.strictObject({
  problems: z.array(
    z.strictObject({
      part: DevicePart,
      message: z.string(),
      /** `resync`: rebuild from the server; `rotate-key`: replace the device key through the server. */
      remedy: z.enum(['resync', 'rotate-key']),
    }),
  ),
});
export type DeviceHealth = z.infer<typeof DeviceHealth>;

export const RedeemResult = z.strictObject({
  designId: z.string(),
  credits: z.int(),
  mode: z.enum(['online', 'offline']),
  /** Offline: the voucher counter signed for it. */
  voucherCounter: z.int().nullable(),
});

export const FileData = z.strictObject({ mime: z.string(), base64: z.string() });

/** A result file is named by the sha256 of its bytes (64 lowercase hex digits). */
export const FileSha256 = z.string().regex(/^[0-9a-f]{64}$/);
/** The only types a result file is served as (docs/architecture.md §1). */
export const FileMime = z.enum(['image/png', 'image/jpeg', 'image/webp']);
export type FileMime = z.infer<typeof FileMime>;

/**
 * Result files travel as bytes beside the JSON calls (docs/architecture.md §1): `GET
 * /files/{sha256}` — browser mode on the host with the bearer token, Electron on `app://easel`.
 */
export const FILE_ROUTE = '/files/';

export const StoreCatalog = z.strictObject({
  packs: z.array(
    z.strictObject({
      itemId: z.string(),
      title: z.string(),
      credits: z.int(),
      bonusCredits: z.int(),
      priceCents: z.int(),
      currency: z.string(),
      expiresInDays: z.int(),
    }),
  ),
  plans: z.array(
    z.strictObject({
      itemId: z.string(),
      title: z.string(),
      monthlyCredits: z.int(),
      priceCents: z.int(),
      currency: z.string(),
      dailyCredits: z.int(),
      /** Each month's credits expire this many days after they are credited. */
      expiresInDays: z.int(),
      /** Unused credits that may roll over at a renewal (0 when absent: cached before). */
      rolloverCap: z.int().min(0).default(0),
    }),
  ),
  provider: z.enum(['stripe', 'sandbox']),
  /**
   * The signed-in account's plan (a plan's itemId) and when it renews (null on the free plan);
   * null when not known (signed out, or the server could not say). Optional: older cached
   * copies of the catalog lack it.
   */
  currentPlan: z
    .strictObject({ itemId: z.string(), renewsAt: z.string().nullable() })
    .nullable()
    .optional(),
});
export type StoreCatalog = z.infer<typeof StoreCatalog>;

export { SignUpOffer };

export const PurchaseStatus = z.strictObject({
  sessionId: z.string(),
  status: z.enum(['pending', 'paid', 'credited', 'cancelled', 'failed', 'timed-out']),
  message: z.string().nullable(),
  /** The checkout page, kept as a link in the Store (docs/architecture.md §7). */
  checkoutUrl: z.string().url().nullable().optional(),
  /**
   * Whether main opened it in the system browser. Browser mode has none: the renderer opens it
   * in a tab within the user's Buy click.
   */
  opened: z.boolean().optional(),
});
export type PurchaseStatus = z.infer<typeof PurchaseStatus>;

// The job vocabulary is the server's (shared/api/jobs.ts): one definition for HTTP and IPC.
const ToolName = JobTool;

const JobOutput = z.strictObject({
  itemId: z.string(),
  sha256: z.string(),
  width: z.int(),
  height: z.int(),
  mime: z.string(),
  /** Credits a dislike gives back (0: not refundable). */
  refundCredits: z.int(),
  disliked: z.boolean(),
  /** Where main saved it in the local gallery folder, once downloaded. */
  localPath: z.string().nullable(),
});

export const JobView = z.strictObject({
  jobId: z.string(),
  operationId: z.string(),
  tool: ToolName,
  state: JobState,
  progress: z.number().min(0).max(1),
  /** What the engine is doing now ("Upscaling tile 3 of 16"); null when it does not say. */
  stage: z.string().nullable(),
  /** Estimated seconds left; null when unknown. */
  etaSeconds: z.number().min(0).nullable(),
  heldCredits: z.int(),
  capturedCredits: z.int().nullable(),
  error: z.string().nullable(),
  outputs: z.array(JobOutput),
  createdAt: z.string(),
  /** The tool parameters as submitted (for "reuse" in the gallery). */
  params: z.record(z.string(), z.unknown()),
  /** A run on a team wallet: the team, its project and who ran it (docs/architecture.md §14). */
  team: z
    .strictObject({ teamId: z.string(), projectId: z.string().nullable(), memberId: z.string() })
    .optional(),
});
export type JobView = z.infer<typeof JobView>;

export const SubmitJob = z.strictObject({
  operationId: z.string().min(8).max(128),
  tool: ToolName,
  params: z.record(z.string(), z.unknown()),
  quote: z.strictObject({ credits: z.int().min(0), priceBookVersion: z.int().min(1) }),
  /** Charge a team's wallet, for one of its projects (or none). */
  team: z
    .strictObject({
      teamId: z.string().min(1).max(128),
      projectId: z.string().min(1).max(128).nullable(),
    })
    .optional(),
});

/** Personal runs, or (with `teamId`) the runs of a team the signed-in account belongs to. */
export const ListJobs = z.strictObject({ teamId: z.string().min(1).max(128).optional() });

/** The largest upload the IPC bridge carries, in base64 characters (about 26 MB of image). */
export const MAX_UPLOAD_BASE64 = 35_000_000;
export const Upload = z.strictObject({
  mime: z.enum(['image/png', 'image/jpeg', 'image/webp']),
  base64: z.string().max(MAX_UPLOAD_BASE64),
});
export const UploadResult = z.strictObject({
  uploadId: z.string(),
  width: z.int(),
  height: z.int(),
  format: z.string(),
});

export const VerificationFailure = z.strictObject({
  reason: z.string(),
  seq: z.int().nullable(),
  message: z.string(),
});

/** A look at an image while its job runs (the engine's latent preview), for the run card. */
export const JobPreview = z.strictObject({
  jobId: z.string(),
  /** Which image of the run it shows (0-based). */
  index: z.int().min(0),
  mime: z.enum(['image/png', 'image/jpeg', 'image/webp']),
  base64: z.string(),
});
export type JobPreview = z.infer<typeof JobPreview>;

/**
 * Settings → Image engine as the renderer sends it. The key is sent only when the user typed a
 * new one (absent: keep the stored key; null: forget it); main never sends a key back.
 */
export const EngineSettingsPatch = z.strictObject({
  kind: EngineKind,
  baseUrl: z.string().url().max(500).nullable(),
  key: z.string().min(1).max(500).nullable().optional(),
  models: EngineModelMap,
});
export type EngineSettingsPatch = z.infer<typeof EngineSettingsPatch>;

/**
 * The image engine section: with the embedded server, its engine (settings without the key,
 * what it answered, the models it makes offered); with a remote server, what that server offers.
 */
export const EngineView = z.discriminatedUnion('mode', [
  z.strictObject({
    mode: z.literal('embedded'),
    state: EngineState.nullable(),
    /** Why the embedded server could not be asked, as a sentence. */
    error: z.string().nullable(),
    /** The key is kept in plain text (no OS keyring here). */
    insecureKeyStorage: z.boolean(),
  }),
  z.strictObject({
    mode: z.literal('remote'),
    serverUrl: z.string(),
    tools: ToolsResponse.nullable(),
    error: z.string().nullable(),
  }),
]);
export type EngineView = z.infer<typeof EngineView>;

export { EngineTestResult, ToolsResponse };

export { Design, PublicKeyInfo, SignedPriceBook };
