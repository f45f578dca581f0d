import { randomUUID } from 'node:crypto';
import { canonicalize } from '../../shared/canonical/jcs';
import type { TeamTag, Voucher } from '../../shared/ledger/entry';
import { verifyVoucher } from '../../shared/ledger/voucher';
import type { SignedVoucher, VoucherOutcome } from '../../shared/api/ledger';
import { planSettle } from '../../shared/wallet/plan';
import { plusMs } from '../clock';
import { notFound } from '../http/errors';
import { sha256Hex } from '../node-digest';
import { capToSpendingLimits } from './spending-limits';
import { type LedgerService, type WriteContext, allocateOr402, throwIt } from './ledger-service';

/**
 * Offline allowances (docs/architecture.md §5): a reserve for one device, spent offline with vouchers
 * the device signs, settled here once per (allowance, counter). Reserves lower `available`
 * under the account lock, so devices together can never overdraw the account.
 */
export class AllowanceService {
  constructor(
    private readonly ledger: LedgerService,
    private readonly checkPurpose: VoucherPurposeCheck,
  ) {}

  async create(accountId: string, req: AllowanceReserve) {
    return this.ledger.write(
      accountId,
      { operationId: req.operationId, request: { op: 'allowance', ...req } },
      async (ctx) => ({
        status: 201,
        body: await reserveInto(ctx, req, { deviceOwner: accountId, cap: capToSpendingLimits }),
      }),
    );
  }

  async status(accountId: string, allowanceId: string) {
    return this.ledger.write(accountId, null, async (ctx) => {
      return { status: 200, body: allowanceView(ctx, allowanceId) };
    });
  }

  async settle(
    accountId: string,
    allowanceId: string,
    req: { operationId: string; vouchers: SignedVoucher[] },
    mutationSeq: number | null = null,
  ) {
    return this.ledger.write(
      accountId,
      {
        operationId: req.operationId,
        request: { op: 'settle', allowanceId, vouchers: req.vouchers },
      },
      async (ctx) => {
        const outcomes = await settleInto(
          ctx,
          allowanceId,
          req.vouchers,
          mutationSeq,
          this.checkPurpose,
        );
        return { status: 200, body: { allowanceId, vouchers: outcomes } };
      },
    );
  }

  async giveBack(accountId: string, allowanceId: string, operationId: string) {
    return this.ledger.write(
      accountId,
      { operationId, request: { op: 'return-allowance', allowanceId } },
      async (ctx) => {
        await returnInto(ctx, allowanceId, operationId);
        return { status: 200, body: allowanceView(ctx, allowanceId) };
      },
    );
  }
}

export interface AllowanceReserve {
  operationId: string;
  deviceId: string;
  kind: string;
  amount: number;
  ttlSeconds: number;
}

/** Who an allowance is for and what bounds it; a team's reserve also charges its budget. */
export interface ReserveOptions {
  /** The account that registered the device: the caller, or the member on a team wallet. */
  deviceOwner: string;
  /** Cuts the amount asked for (spending limits, a member's budget), inside the write. */
  cap: (ctx: WriteContext, amount: number) => Promise<number>;
  /** On a team wallet: the member (and project) the reserve entry names. */
  team?: TeamTag;
  /** Runs inside the write once the reserve is appended (a team's budget charge). */
  onReserved?: (ctx: WriteContext, allowanceId: string, amount: number) => Promise<void>;
}

/** Appends the reserve entry of a new allowance (docs/architecture.md §5), inside a write. */
export async function reserveInto(ctx: WriteContext, req: AllowanceReserve, opts: ReserveOptions) {
  const { rows } = await ctx.tx.query<{ public_key: string }>(
    'select public_key from devices where id = $1 and account_id = $2',
    [req.deviceId, opts.deviceOwner],
  );
  const device = rows[0] ?? throwIt(notFound('device'));
  const allowanceId = `al_${randomUUID()}`;
  const amount = await opts.cap(ctx, req.amount);
  const splits = allocateOr402(ctx.state(), req.kind, amount);
  const expiresAt = plusMs(ctx.now, req.ttlSeconds * 1000);
  const entry = ctx.append({
    type: 'reserve',
    operationId: req.operationId,
    allowanceId,
    deviceId: req.deviceId,
    devicePublicKey: device.public_key,
    kind: req.kind,
    amount,
    splits,
    expiresAt,
    ...(opts.team ? { team: opts.team } : {}),
  });
  ctx.setTimer(allowanceId, expiresAt);
  await opts.onReserved?.(ctx, allowanceId, amount);
  return {
    allowanceId,
    deviceId: req.deviceId,
    kind: req.kind,
    amount,
    settled: 0,
    expiresAt,
    status: 'open' as const,
    seq: entry.seq,
  };
}

/** An allowance as the API shows it, read from the fold inside the write. */
export function allowanceView(ctx: WriteContext, allowanceId: string) {
  const r = ctx.fold.reserve(allowanceId) ?? throwIt(notFound('allowance'));
  return {
    allowanceId,
    deviceId: r.deviceId,
    kind: r.kind,
    amount: r.amount,
    settled: r.settled,
    expiresAt: r.expiresAt,
    status: r.status,
    seq: ctx.fold.lastSeq,
  };
}

const voucherHash = (v: Voucher): string => sha256Hex(canonicalize(v));

/** Settles what is valid, refuses the rest with a reason, flags reused counters on the ledger. */
/** Checks what a voucher bought (e.g. the design exists and costs what was paid); a reason or null. */
export type VoucherPurposeCheck = (ctx: WriteContext, voucher: Voucher) => Promise<string | null>;

/** A team allowance's vouchers must name this team wallet and member (docs/architecture.md §14). */
export interface TeamVoucherScope {
  teamId: string;
  memberId: string;
}

const sameTeam = (v: Voucher, scope: TeamVoucherScope | undefined): boolean =>
  scope
    ? v.team?.teamId === scope.teamId && v.team.memberId === scope.memberId
    : v.team === undefined;

export async function settleInto(
  ctx: WriteContext,
  allowanceId: string,
  vouchers: SignedVoucher[],
  mutationSeq: number | null,
  checkPurpose: VoucherPurposeCheck,
  scope?: TeamVoucherScope,
): Promise<VoucherOutcome[]> {
  const reserve = ctx.fold.reserve(allowanceId) ?? throwIt(notFound('allowance'));
  const outcomes: VoucherOutcome[] = [];
  const accepted: Voucher[] = [];
  let left = reserve.amount - reserve.settled;
  const reject = (counter: number, code: string, message: string) =>
    outcomes.push({ counter, status: 'rejected', code, message });
  for (const { voucher, signature } of [...vouchers].sort(
    (a, b) => a.voucher.counter - b.voucher.counter,
  )) {
    const { counter } = voucher;
    if (voucher.allowanceId !== allowanceId) {
      reject(
        counter,
        'wrong-allowance',
        `voucher ${counter} belongs to allowance ${voucher.allowanceId}`,
      );
      continue;
    }
    if (!sameTeam(voucher, scope)) {
      reject(
        counter,
        'wrong-wallet',
        scope
          ? `voucher ${counter} was not spent by this member from team ${scope.teamId}'s wallet`
          : `voucher ${counter} was spent from a team wallet, not this account`,
      );
      continue;
    }
    if (!verifyVoucher(voucher, signature, reserve.devicePublicKey)) {
      reject(
        counter,
        'bad-signature',
        `voucher ${counter} is not signed by the allowance's device`,
      );
      continue;
    }
    const { rows } = await ctx.tx.query<{ content_hash: string }>(
      'select content_hash from voucher_settlements where allowance_id = $1 and counter = $2',
      [allowanceId, counter],
    );
    const seen = rows[0] ?? accepted.find((a) => a.counter === counter);
    if (seen) {
      const sameContent =
        'content_hash' in seen
          ? seen.content_hash === voucherHash(voucher)
          : voucherHash(seen) === voucherHash(voucher);
      if (sameContent) {
        outcomes.push({ counter, status: 'already-settled' });
      } else {
        reject(
          counter,
          'counter-reused',
          `voucher counter ${counter} was already used with other content`,
        );
        ctx.append({
          type: 'rejection',
          operationId: `flag:${allowanceId}:${counter}:${voucherHash(voucher).slice(0, 16)}`,
          deviceId: reserve.deviceId,
          mutationSeq,
          code: 'voucher-counter-reused',
          message: `allowance ${allowanceId}: counter ${counter} reused with other content`,
        });
      }
      continue;
    }
    if (reserve.status !== 'open') {
      reject(
        counter,
        'allowance-closed',
        `allowance ${allowanceId} is closed (${reserve.expiresAt <= ctx.now ? 'expired' : 'returned'})`,
      );
      continue;
    }
    if (voucher.at > reserve.expiresAt) {
      reject(counter, 'after-expiry', `voucher ${counter} was made after the allowance expired`);
      continue;
    }
    const purposeProblem = await checkPurpose(ctx, voucher);
    if (purposeProblem) {
      reject(counter, 'bad-purpose', purposeProblem);
      continue;
    }
    if (voucher.amount > left) {
      reject(
        counter,
        'over-allowance',
        `voucher ${counter} for ${voucher.amount} is more than the ${left} left on the allowance`,
      );
      continue;
    }
    left -= voucher.amount;
    accepted.push(voucher);
    outcomes.push({ counter, status: 'settled' });
  }
  // One settle entry per project on a team wallet, tagged with the member and that project.
  const groups = new Map<string, Voucher[]>();
  for (const v of accepted) {
    const key = v.team ? `p:${v.team.projectId ?? ''}` : '';
    groups.set(key, [...(groups.get(key) ?? []), v]);
  }
  for (const group of groups.values()) {
    const amount = group.reduce((t, v) => t + v.amount, 0);
    const first = group[0]?.team;
    const entry = ctx.append({
      type: 'settle',
      operationId: `settle:${allowanceId}:${group.map((v) => v.counter).join('.')}`.slice(0, 128),
      allowanceId,
      vouchers: group,
      amount,
      splits: planSettle(ctx.fold.reserve(allowanceId) ?? reserve, amount),
      ...(first ? { team: { memberId: first.memberId, projectId: first.projectId } } : {}),
    });
    for (const v of group) {
      await ctx.tx.query(
        'insert into voucher_settlements (allowance_id, counter, content_hash, seq) values ($1, $2, $3, $4)',
        [allowanceId, v.counter, voucherHash(v), entry.seq],
      );
      if (v.purpose.kind === 'design') {
        await ctx.tx.query(
          'insert into entitlements (account_id, design_id, seq, created_at) values ($1, $2, $3, $4) on conflict do nothing',
          // A team voucher's design goes to the member whose device redeemed it.
          [scope?.memberId ?? ctx.accountId, v.purpose.designId, entry.seq, ctx.now],
        );
      }
    }
  }
  return outcomes;
}

/** Gives back what is left of an open allowance; `team` tags the entry on a team wallet. */
export async function returnInto(
  ctx: WriteContext,
  allowanceId: string,
  operationId: string,
  team?: TeamTag,
): Promise<void> {
  const r = ctx.fold.reserve(allowanceId) ?? throwIt(notFound('allowance'));
  if (r.status === 'open') {
    ctx.append({
      type: 'unreserve',
      operationId,
      allowanceId,
      amount: r.amount - r.settled,
      reason: 'returned',
      ...(team ? { team } : {}),
    });
    ctx.clearTimer(allowanceId);
  }
}
