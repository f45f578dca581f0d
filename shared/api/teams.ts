import { z } from 'zod';
import { Amount, Id } from '../ledger/primitives';
import { Email, OperationId } from './common';
import { AllowanceResponse, HoldRequest, SignedVoucher, VoucherOutcome } from './ledger';

/**
 * Teams (docs/architecture.md §14): a shared wallet with members, roles, projects and monthly
 * budgets. Every shape that crosses the network for teams is here.
 */
export const TeamRole = z.enum(['owner', 'admin', 'member']);
export type TeamRole = z.infer<typeof TeamRole>;

/**
 * A team's or project's name is shown to others (members, and "Join team X?" to whoever holds an
 * invite): no control characters (a NUL cannot even be stored) and no bidirectional overrides,
 * which could make a name read as something else (docs/architecture.md §14).
 */
const DisplayName = z
  .string()
  .trim()
  .min(1)
  .max(80)
  .refine(
    (s) => !/[\p{Cc}\u202A-\u202E\u2066-\u2069]/u.test(s),
    'a name cannot contain control or text-direction characters',
  );
const TeamName = DisplayName;
const ProjectName = DisplayName;
/** A monthly budget in credits, or null for none. */
const MonthlyBudget = Amount.max(10_000_000).nullable();

export const CreateTeamRequest = z.strictObject({ name: TeamName });

export const TeamSummary = z.strictObject({
  teamId: Id,
  name: z.string(),
  /** The team wallet's ledger account: its chain is pulled and verified like a personal one. */
  accountId: Id,
  role: TeamRole,
});
export type TeamSummary = z.infer<typeof TeamSummary>;

export const TeamListResponse = z.strictObject({ teams: z.array(TeamSummary) });
export type TeamListResponse = z.infer<typeof TeamListResponse>;

const Budget = z.strictObject({
  /** null: no budget. */
  monthly: z.int().min(1).nullable(),
  /** Credits taken this UTC month by holds and allowances, less what came back. */
  used: z.int().min(0),
});

const TeamMember = z.strictObject({
  accountId: Id,
  email: z.string(),
  role: TeamRole,
  joinedAt: z.string(),
  budget: Budget,
});

export const TeamProject = z.strictObject({
  projectId: Id,
  name: z.string(),
  budget: Budget,
});
export type TeamProject = z.infer<typeof TeamProject>;

export const TeamDetail = z.strictObject({
  team: TeamSummary,
  /** The budgets' period (UTC month, `2026-12`) and when the next one starts. */
  period: z.string(),
  resetsAt: z.string(),
  members: z.array(TeamMember),
  projects: z.array(TeamProject),
});
export type TeamDetail = z.infer<typeof TeamDetail>;

export const InviteRequest = z.strictObject({
  email: Email,
  /** Owners are made by an owner changing a member's role, never by invite. */
  role: z.enum(['admin', 'member']).default('member'),
});
export const InviteResponse = z.strictObject({
  /** Shown once: only its SHA-256 is stored. */
  token: z.string(),
  email: z.string(),
  role: TeamRole,
  expiresAt: z.string(),
});
export type InviteResponse = z.infer<typeof InviteResponse>;

/** An invite token: 32 random bytes, base64url. */
export const InviteToken = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'not an invite token');
export const AcceptInviteRequest = z.strictObject({ token: InviteToken });

const INVITE_LINK_HOST = 'team-invite';

/** The link an invite is shown as, and what opens the app on the invitee's machine. */
export const teamInviteLink = (token: string): string =>
  `easel://${INVITE_LINK_HOST}?token=${token}`;

/**
 * An invite link as it reaches the app (docs/architecture.md §14): exactly
 * `easel://team-invite?token=<token>` — no other scheme, host, path, parameter, fragment, user
 * or port — read to its token. Anything else is refused whole, never half-read.
 */
export const TeamInviteLink = z
  .string()
  .max(200)
  .transform((raw, ctx) => {
    const refuse = (): never => {
      ctx.addIssue({ code: 'custom', message: 'not a team invite link' });
      return z.NEVER;
    };
    let url: URL;
    try {
      url = new URL(raw.trim());
    } catch {
      return refuse();
    }
    const keys = [...url.searchParams.keys()];
    const token = url.searchParams.get('token');
    if (
      url.protocol !== 'easel:' ||
      url.hostname !== INVITE_LINK_HOST ||
      (url.pathname !== '' && url.pathname !== '/') ||
      url.username !== '' ||
      url.password !== '' ||
      url.port !== '' ||
      url.hash !== '' ||
      keys.length !== 1 ||
      keys[0] !== 'token' ||
      !InviteToken.safeParse(token).success
    )
      return refuse();
    return { token: token ?? '' };
  });
export type TeamInviteLink = z.output<typeof TeamInviteLink>;

/** What an invite is, for the one holding its token: asked before offering to join. */
export const InvitePreview = z.strictObject({
  teamName: z.string(),
  /** The address invited: only an account with it can accept. */
  email: z.string(),
  role: TeamRole,
  expiresAt: z.string(),
  /**
   * For the signed-in account: `open` (it may join), `used`, `expired`, `other-email` (signed in
   * with another address) or `member` (already in the team).
   */
  state: z.enum(['open', 'used', 'expired', 'other-email', 'member']),
});
export type InvitePreview = z.infer<typeof InvitePreview>;

export const SetRoleRequest = z.strictObject({ role: TeamRole });
export const RemoveMemberRequest = z.strictObject({ operationId: OperationId });
export const RemoveMemberResponse = z.strictObject({
  /** Open holds the member had on the team wallet, released. */
  holdsReleased: z.int().min(0),
  /** Offline allowances of the member's devices, returned to the team wallet. */
  allowancesReturned: z.int().min(0),
});

export const CreateProjectRequest = z.strictObject({ name: ProjectName });

export const SetBudgetRequest = z.strictObject({
  operationId: OperationId,
  scope: z.enum(['member', 'project']),
  subjectId: Id,
  monthly: MonthlyBudget,
});
export const SetBudgetResponse = z.strictObject({ seq: z.int(), hash: z.string() });

/** A hold on the team wallet: a personal hold's fields plus the project it is for. */
export const TeamHoldRequest = HoldRequest.extend({ projectId: Id.nullable().default(null) });

/**
 * Settles a team allowance's vouchers (docs/architecture.md §5, §14); with `returnRest`, what
 * is left of the allowance goes back to the team wallet in the same write.
 */
export const TeamSettleRequest = z.strictObject({
  operationId: OperationId,
  vouchers: z.array(SignedVoucher).min(1).max(500),
  returnRest: z.boolean().default(false),
});
export const TeamSettleResponse = z.strictObject({
  allowance: AllowanceResponse,
  vouchers: z.array(VoucherOutcome),
});
export type TeamSettleResponse = z.infer<typeof TeamSettleResponse>;
export const TeamReturnRequest = z.strictObject({ operationId: OperationId });

export const ReportQuery = z.strictObject({
  month: z
    .string()
    .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month looks like 2026-12')
    .optional(),
});
const ReportRow = z.strictObject({
  id: Id.nullable(),
  name: z.string(),
  /** Credits captured (spent) in the month, less what refunds gave back. */
  spent: z.int().min(0),
  runs: z.int().min(0),
});
export const TeamReport = z.strictObject({
  month: z.string(),
  byProject: z.array(ReportRow),
  byMember: z.array(ReportRow),
  total: z.int().min(0),
});
export type TeamReport = z.infer<typeof TeamReport>;

/**
 * A team wallet as main hands it to the renderer (docs/architecture.md §14): folded from the
 * team chain after main verified every batch against the server's signed checkpoints.
 */
export const TeamWalletRow = z.strictObject({
  seq: z.int().min(1),
  at: z.string(),
  type: z.string(),
  /** What the entry did to the balance (a capture's charge is negative). */
  credits: z.int(),
  /** The acting member and the project, from the entry's signed `team` field. */
  memberId: Id.nullable(),
  projectId: Id.nullable(),
  /**
   * The hold a hold, capture or release is about, or the hold that paid for a refunded image, so
   * the cost report can take a refund off its run's capture (docs/architecture.md §14).
   */
  holdId: Id.optional(),
  /**
   * From the signed hold of a run (on its hold, capture, release and refund rows): the job, its
   * tool and prompt excerpt, so History shows a run as one activity (docs/architecture.md §14).
   */
  jobId: Id.optional(),
  tool: z.string().max(40).optional(),
  summary: z.string().max(200).optional(),
  /** A hold: the credits it sets aside (its row's `credits` is 0). */
  held: z.int().min(0).optional(),
  /** A refund: the image it refunds. */
  itemId: Id.optional(),
  /** A budget: whose it is and its monthly credits (null: the limit was removed). */
  budget: z
    .strictObject({
      scope: z.enum(['member', 'project']),
      subjectId: Id,
      monthly: z.int().min(0).nullable(),
    })
    .optional(),
  label: z.string(),
});
export type TeamWalletRow = z.infer<typeof TeamWalletRow>;

export const TeamWalletView = z.strictObject({
  teamId: Id,
  accountId: Id,
  /** The verified head the figures are folded to. */
  seq: z.int().min(0),
  balance: z.int(),
  available: z.int(),
  rows: z.array(TeamWalletRow),
  /** Credits captured this UTC month, per member. */
  spentByMember: z.array(z.strictObject({ memberId: Id, spent: z.int().min(0) })),
  /** False when the server could not be reached: the figures are the last verified ones. */
  fresh: z.boolean(),
});
export type TeamWalletView = z.infer<typeof TeamWalletView>;
