import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { PullResponse } from '../../shared/api/ledger';
import {
  InvitePreview,
  InviteResponse,
  TeamDetail,
  TeamListResponse,
  TeamProject,
  type TeamRole,
  TeamSummary,
  type TeamWalletRow,
  type TeamWalletView,
} from '../../shared/api/teams';
import { GENESIS } from '../../shared/ledger/chain';
import { SignedCheckpoint } from '../../shared/ledger/checkpoint';
import { EntryBody, WireEntry } from '../../shared/ledger/entry';
import { verifyChain } from '../../shared/ledger/verify';
import { WalletFold } from '../../shared/wallet/fold';
import { monthReport } from '../../shared/wallet/team-report';
import { easelError, isOfflineError } from '../core/errors';
import type { VerifiedReserve } from '../offline/reserve-proof';
import type { TeamChains } from '../offline/team-allowances';
import { JsonFile } from '../storage/json-file';
import { nodeChainDigest } from '../sync/digest';
import type { KeyRing } from '../sync/key-ring';
import type { HttpClient } from './http';

/** A team chain as kept on disk: the entries and the checkpoint that signs their head. */
const CachedChain = z.strictObject({
  accountId: z.string(),
  entries: z.array(WireEntry),
  checkpoint: SignedCheckpoint.nullable(),
});
type CachedChain = z.infer<typeof CachedChain>;

const Ok = z.object({}).passthrough();

/** A team allowance found in the verified team chain: its reserve entry and what followed it. */
export interface TeamAllowanceInChain {
  reserve: VerifiedReserve;
  /** The member the reserve entry names (null: an entry without a team tag). */
  memberId: string | null;
  settled: number;
  closed: boolean;
}

/**
 * Teams for the app (docs/architecture.md §14): the team routes, and each team wallet's chain,
 * pulled batch by batch and verified against the server's signed checkpoints exactly as the
 * personal chain is (§3, §4), kept on disk per team and verified again from genesis before it is
 * shown offline.
 */
export class TeamsClient implements TeamChains {
  constructor(
    private readonly http: HttpClient,
    private readonly keys: KeyRing,
    private readonly dataDir: string,
  ) {}

  list = () => this.http.json('GET', '/v1/teams', { schema: TeamListResponse });
  detail = (teamId: string) => this.http.json('GET', `/v1/teams/${teamId}`, { schema: TeamDetail });
  create = (name: string) =>
    this.http.json('POST', '/v1/teams', { schema: TeamSummary, body: { name } });
  invite = (teamId: string, email: string, role: 'admin' | 'member') =>
    this.http.json('POST', `/v1/teams/${teamId}/invites`, {
      schema: InviteResponse,
      body: { email, role },
    });
  preview = (token: string) =>
    this.http.json('POST', '/v1/team-invites/preview', { schema: InvitePreview, body: { token } });
  accept = (token: string) =>
    this.http.json('POST', '/v1/team-invites/accept', { schema: TeamSummary, body: { token } });
  setRole = (teamId: string, memberId: string, role: TeamRole) =>
    this.http.json('POST', `/v1/teams/${teamId}/members/${memberId}/role`, {
      schema: TeamDetail,
      body: { role },
    });
  async remove(teamId: string, memberId: string): Promise<void> {
    await this.http.json('POST', `/v1/teams/${teamId}/members/${memberId}/remove`, {
      schema: Ok,
      body: { operationId: `remove-${randomUUID()}` },
    });
  }
  async setBudget(
    teamId: string,
    scope: 'member' | 'project',
    subjectId: string,
    monthly: number | null,
  ): Promise<void> {
    await this.http.json('POST', `/v1/teams/${teamId}/budgets`, {
      schema: Ok,
      body: { operationId: `budget-${randomUUID()}`, scope, subjectId, monthly },
    });
  }
  createProject = (teamId: string, name: string) =>
    this.http.json('POST', `/v1/teams/${teamId}/projects`, { schema: TeamProject, body: { name } });

  /** Pulls, verifies and stores the team chain (online; main/offline/team-allowances.ts). */
  async refreshChain(teamId: string): Promise<void> {
    const { team } = await this.detail(teamId);
    await this.wallet(teamId, team.accountId);
  }

  /** The wallet account of a team whose chain is stored here, or null. */
  async cachedAccount(teamId: string): Promise<string | null> {
    const stored = await this.file(teamId)
      .read()
      .catch(() => null);
    return stored?.accountId ?? null;
  }

  private file(teamId: string) {
    return new JsonFile(join(this.dataDir, 'teams', `${teamId}.json`), CachedChain);
  }

  /** Verifies a whole stored chain from genesis against its checkpoint (with main's keys). */
  private async verified(cached: CachedChain): Promise<CachedChain> {
    if (!cached.checkpoint) return { ...cached, entries: [] };
    const keySet = await this.keys.withKey(cached.checkpoint.checkpoint.keyId);
    const verdict = verifyChain(cached.entries, cached.checkpoint, keySet, {
      accountId: cached.accountId,
      digest: nodeChainDigest,
    });
    if (!verdict.ok)
      throw easelError(
        'verification-failed',
        `the stored team wallet failed its check: ${verdict.message}`,
      );
    return cached;
  }

  /** The team wallet, verified: pulled from the server after the stored head, else as stored. */
  async wallet(teamId: string, accountId: string): Promise<TeamWalletView> {
    const file = this.file(teamId);
    let chain: CachedChain = { accountId, entries: [], checkpoint: null };
    // A stored copy that cannot be read or fails its check is never shown: it is replaced by a
    // fresh pull online, and refused offline.
    let broken: unknown = null;
    try {
      const stored = await file.read();
      if (stored && stored.accountId === accountId) chain = await this.verified(stored);
    } catch (error) {
      broken = error;
    }
    let fresh = true;
    try {
      chain = await this.pull(teamId, chain);
      await file.write(chain);
    } catch (error) {
      if (!isOfflineError(error)) throw error;
      if (broken) throw broken;
      fresh = false;
    }
    return view(teamId, chain, fresh);
  }

  /**
   * A team allowance as the verified team chain on disk says it (docs/architecture.md §5, §14):
   * the stored chain is verified again from genesis, so an edited copy is refused. Null when
   * the chain holds no reserve with that id (yet).
   */
  async storedAllowance(teamId: string, allowanceId: string): Promise<TeamAllowanceInChain | null> {
    const stored = await this.file(teamId).read();
    if (!stored) return null;
    const chain = await this.verified(stored);
    let found: TeamAllowanceInChain | null = null;
    for (const e of chain.entries) {
      const body = EntryBody.parse(JSON.parse(e.body));
      if (body.type === 'reserve' && body.allowanceId === allowanceId) {
        found = {
          reserve: {
            allowanceId,
            deviceId: body.deviceId,
            devicePublicKey: body.devicePublicKey,
            kind: body.kind,
            amount: body.amount,
            expiresAt: body.expiresAt,
            seq: body.seq,
          },
          memberId: body.team?.memberId ?? null,
          settled: 0,
          closed: false,
        };
      } else if (found && body.type === 'settle' && body.allowanceId === allowanceId) {
        found.settled += body.amount;
      } else if (found && body.type === 'unreserve' && body.allowanceId === allowanceId) {
        found.closed = true;
      }
    }
    return found;
  }

  private async pull(teamId: string, chain: CachedChain): Promise<CachedChain> {
    let { entries } = chain;
    for (;;) {
      const last = entries.at(-1);
      const from = last ? { seq: last.seq, hash: last.hash } : GENESIS;
      const batch = await this.http.json('GET', `/v1/teams/${teamId}/ledger/entries`, {
        schema: PullResponse,
        query: { after: from.seq, limit: 5000 },
      });
      const keySet = await this.keys.withKey(batch.checkpoint.checkpoint.keyId);
      const verdict = verifyChain(batch.entries, batch.checkpoint, keySet, {
        from,
        accountId: chain.accountId,
        digest: nodeChainDigest,
      });
      if (!verdict.ok)
        throw easelError(
          'verification-failed',
          `the team wallet failed its check: ${verdict.message}`,
        );
      entries = [...entries, ...batch.entries];
      if (verdict.head.seq >= batch.headSeq)
        return { accountId: chain.accountId, entries, checkpoint: batch.checkpoint };
    }
  }
}

/** Folds the verified chain into what the screens show. */
function view(teamId: string, chain: CachedChain, fresh: boolean): TeamWalletView {
  const fold = new WalletFold();
  const rows: TeamWalletRow[] = [];
  const holdOf = new Map<string, { memberId: string | null; projectId: string | null }>();
  const jobOf = new Map<string, { jobId: string; tool: string; summary?: string }>();
  for (const e of chain.entries) {
    const body = EntryBody.parse(JSON.parse(e.body));
    fold.apply(body);
    const team = 'team' in body && body.team ? body.team : null;
    let credits = 0;
    let label: string = body.type;
    switch (body.type) {
      case 'grant':
        credits = body.bucket.amount;
        label = `Credits added: ${body.reason}`;
        break;
      case 'purchase':
        credits = body.buckets.reduce((n, b) => n + b.amount, 0);
        label = `Bought ${body.itemTitle ?? body.itemId}`;
        break;
      case 'hold':
        holdOf.set(body.holdId, team ?? { memberId: null, projectId: null });
        if (body.purpose.kind === 'job')
          jobOf.set(body.holdId, {
            jobId: body.purpose.jobId,
            tool: body.purpose.tool,
            ...(body.purpose.summary === undefined ? {} : { summary: body.purpose.summary }),
          });
        label = `Hold for ${body.purpose.kind === 'job' ? body.purpose.tool : body.purpose.kind}`;
        break;
      case 'capture':
        credits = -body.amount;
        label = 'Charged';
        break;
      case 'release':
        label = `Hold released (${body.reason})`;
        break;
      case 'settle':
        // Spent offline from a member's device allowance (docs/architecture.md §5, §14).
        credits = -body.amount;
        label = `Spent offline (${body.vouchers.length} ${body.vouchers.length === 1 ? 'voucher' : 'vouchers'})`;
        break;
      case 'refund':
        // A disliked image: back to the team wallet, taken off its run (docs/architecture.md §14).
        credits = body.amount;
        label = `Refund: ${body.reason}`;
        break;
      case 'reserve':
        label = 'Offline allowance reserved';
        break;
      case 'unreserve':
        label = `Offline allowance ${body.reason}`;
        break;
      case 'budget':
        label = `Budget for a ${body.scope}: ${body.monthly === null ? 'none' : `${body.monthly} credits a month`}`;
        break;
      default:
        break;
    }
    const holdId =
      body.type === 'hold' || body.type === 'release' || body.type === 'capture'
        ? body.holdId
        : body.type === 'refund'
          ? body.paidBy
          : undefined;
    const tag = team ?? (holdId === undefined ? null : holdOf.get(holdId)) ?? null;
    rows.push({
      seq: body.seq,
      at: body.at,
      type: body.type,
      credits,
      memberId: body.type === 'budget' ? body.setBy : (tag?.memberId ?? null),
      projectId: body.type === 'budget' ? null : (tag?.projectId ?? null),
      ...(holdId === undefined ? {} : { holdId }),
      ...(holdId === undefined ? {} : jobOf.get(holdId)),
      ...(body.type === 'hold' ? { held: body.amount } : {}),
      ...(body.type === 'refund' ? { itemId: body.itemId } : {}),
      ...(body.type === 'budget'
        ? { budget: { scope: body.scope, subjectId: body.subjectId, monthly: body.monthly } }
        : {}),
      label,
    });
  }
  const balance = fold.view(fold.lastAt || new Date().toISOString()).balances.image;
  return {
    teamId,
    accountId: chain.accountId,
    seq: fold.lastSeq,
    balance: balance?.balance ?? 0,
    available: balance?.available ?? 0,
    rows: rows.reverse(),
    // The cost report's fold for this month: captures and settles less refunds (§14).
    spentByMember: monthReport(rows, new Date().toISOString().slice(0, 7)).byMember.flatMap((l) =>
      l.id === null ? [] : [{ memberId: l.id, spent: l.spent }],
    ),
    fresh,
  };
}
