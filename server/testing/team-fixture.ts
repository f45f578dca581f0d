import type { FastifyInstance } from 'fastify';
import { TeamSummary } from '../../shared/api/teams';
import type { LedgerService } from '../ledger/ledger-service';
import { opId, signUp } from './harness';

export type User = Awaited<ReturnType<typeof signUp>>;
/** A member who joined by invite, with the invite's token (used once already). */
export type Joined = User & { token: string };

async function ok<R extends { statusCode: number; body: string }>(
  res: Promise<R>,
  what: string,
): Promise<R> {
  const r = await res;
  if (r.statusCode >= 300) throw new Error(`${what} failed: ${r.statusCode} ${r.body}`);
  return r;
}

/** Invites a new account with `role` and has it accept, through HTTP (docs/architecture.md §14). */
async function joinTeam(
  app: FastifyInstance,
  teamId: string,
  inviter: User,
  role: 'member' | 'admin' = 'member',
): Promise<Joined> {
  const u = await signUp(app);
  const invite = await ok(
    app.inject({
      method: 'POST',
      url: `/v1/teams/${teamId}/invites`,
      headers: inviter.headers,
      payload: { email: u.email, role },
    }),
    'invite',
  );
  const token = invite.json<{ token: string }>().token;
  await ok(
    app.inject({
      method: 'POST',
      url: '/v1/team-invites/accept',
      headers: u.headers,
      payload: { token },
    }),
    'accept',
  );
  return { ...u, token };
}

/**
 * The team setup of the team suites (docs/architecture.md §14), through HTTP as an app does it:
 * an owner signs up and creates the team, its wallet gets `credits` (a pack grant; none with 0
 * or without `ledger`), each of `members` (their roles) joins by invite, and the owner adds a
 * project named `project`.
 */
export async function teamFixture(
  app: FastifyInstance,
  ledger: LedgerService | null,
  opts: {
    name?: string;
    credits?: number;
    members?: ReadonlyArray<'member' | 'admin'>;
    project?: string;
  } = {},
) {
  const owner = await signUp(app);
  const created = await ok(
    app.inject({
      method: 'POST',
      url: '/v1/teams',
      headers: owner.headers,
      payload: { name: opts.name ?? 'Studio North' },
    }),
    'create team',
  );
  const summary = TeamSummary.parse(created.json());
  const credits = opts.credits ?? 500;
  if (ledger && credits > 0)
    await ledger.grant(summary.accountId, {
      operationId: opId('fund'),
      amount: credits,
      source: 'pack',
      reason: 'test',
    });
  const members: Joined[] = [];
  for (const role of opts.members ?? ['member'])
    members.push(await joinTeam(app, summary.teamId, owner, role));
  const added = await ok(
    app.inject({
      method: 'POST',
      url: `/v1/teams/${summary.teamId}/projects`,
      headers: owner.headers,
      payload: { name: opts.project ?? 'Spring catalog' },
    }),
    'add project',
  );
  const project = added.json<{ projectId: string }>().projectId;
  return { ...summary, owner, members, project };
}
