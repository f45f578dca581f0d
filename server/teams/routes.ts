import type { FastifyRequest } from 'fastify';
import {
  AllowanceRequest,
  AllowanceResponse,
  BalanceResponse,
  CaptureRequest,
  HoldResponse,
  PullQuery,
  PullResponse,
  ReleaseRequest,
} from '../../shared/api/ledger';
import {
  AcceptInviteRequest,
  CreateProjectRequest,
  CreateTeamRequest,
  InvitePreview,
  InviteRequest,
  InviteResponse,
  RemoveMemberRequest,
  RemoveMemberResponse,
  ReportQuery,
  SetBudgetRequest,
  SetBudgetResponse,
  SetRoleRequest,
  TeamDetail,
  TeamHoldRequest,
  TeamListResponse,
  TeamProject,
  TeamReport,
  TeamReturnRequest,
  TeamSettleRequest,
  TeamSettleResponse,
  TeamSummary,
} from '../../shared/api/teams';
import type { makeRouter } from '../http/route';
import { type Handled, JsonText } from '../http/route';
import { type PulledPage, pullResponseJson } from '../ledger/sync-service';
import type { Services } from '../services';
import { periodOf } from './budgets';
import { teamReport } from './team-report';

type Router = ReturnType<typeof makeRouter>;

/** The team routes (docs/architecture.md §14). Every one needs a signed-in member of the team. */
export function registerTeamRoutes(
  route: Router,
  services: Services,
  accountOf: (r: FastifyRequest) => Promise<string>,
): void {
  const { teams, teamWallet, sync, ledger, db, clock } = services;
  const teamId = (p: Record<string, string>) => p.teamId ?? '';
  /**
   * A route body that is one team wallet write (docs/architecture.md §14): the team in the path,
   * the signed-in caller and the parsed body (and the path's other parameters) go to `fn`, whose
   * status and body are the answer.
   */
  const teamWrite =
    <B>(
      fn: (
        teamId: string,
        callerId: string,
        body: B,
        params: Record<string, string>,
      ) => Promise<{ status: number; body: unknown }>,
    ) =>
    async (input: {
      request: FastifyRequest;
      params: Record<string, string>;
      body: B;
    }): Promise<Handled> => {
      const r = await fn(
        teamId(input.params),
        await accountOf(input.request),
        input.body,
        input.params,
      );
      return { status: r.status, body: r.body };
    };
  /** The team wallet's account, for a member of the team in the path (404 for anyone else). */
  const walletOf = async (request: FastifyRequest, params: Record<string, string>) =>
    teamWallet.accountOf(teamId(params), await accountOf(request));

  route(
    {
      method: 'POST',
      path: '/v1/teams',
      summary: 'Teams: create a team with its own wallet; the caller is its owner',
      auth: true,
      body: CreateTeamRequest,
      response: TeamSummary,
    },
    async ({ request, body }) => ({
      status: 201,
      body: await teams.create(await accountOf(request), body.name),
    }),
  );
  route(
    {
      method: 'GET',
      path: '/v1/teams',
      summary: 'Teams: the teams the caller belongs to, with their role',
      auth: true,
      response: TeamListResponse,
    },
    async ({ request }) => ({ body: await teams.list(await accountOf(request)) }),
  );
  route(
    {
      method: 'GET',
      path: '/v1/teams/{teamId}',
      summary: "Teams: members, roles, projects and this month's budgets and usage",
      auth: true,
      response: TeamDetail,
    },
    async ({ request, params }) => ({
      body: await teams.detail(teamId(params), await accountOf(request)),
    }),
  );
  route(
    {
      method: 'POST',
      path: '/v1/teams/{teamId}/invites',
      summary: 'Teams: invite an e-mail address (owners and admins); the token is shown once',
      auth: true,
      body: InviteRequest,
      response: InviteResponse,
    },
    async ({ request, params, body }) => ({
      status: 201,
      body: await teams.invite(teamId(params), await accountOf(request), body),
    }),
  );
  route(
    {
      method: 'POST',
      path: '/v1/team-invites/preview',
      summary:
        'Teams: what an invite is (team, address, role) and whether the signed-in account may accept it',
      auth: true,
      body: AcceptInviteRequest,
      response: InvitePreview,
    },
    async ({ request, body }) => ({
      body: await teams.preview(await accountOf(request), body.token),
    }),
  );
  route(
    {
      method: 'POST',
      path: '/v1/team-invites/accept',
      summary: 'Teams: accept an invite as the signed-in invited address (single use, expires)',
      auth: true,
      body: AcceptInviteRequest,
      response: TeamSummary,
    },
    async ({ request, body }) => ({
      body: await teams.accept(await accountOf(request), body.token),
    }),
  );
  route(
    {
      method: 'POST',
      path: '/v1/teams/{teamId}/members/{memberId}/role',
      summary: 'Teams: change a member role (owners; admins between member and admin)',
      auth: true,
      body: SetRoleRequest,
      response: TeamDetail,
    },
    async ({ request, params, body }) => ({
      body: await teams.setRole(
        teamId(params),
        await accountOf(request),
        params.memberId ?? '',
        body.role,
      ),
    }),
  );
  route(
    {
      method: 'POST',
      path: '/v1/teams/{teamId}/members/{memberId}/remove',
      summary:
        'Teams: remove a member, or leave; their open holds are released and allowances returned',
      auth: true,
      body: RemoveMemberRequest,
      response: RemoveMemberResponse,
    },
    teamWrite((team, caller, body, params) =>
      teamWallet.removeMember(team, caller, params.memberId ?? '', body.operationId),
    ),
  );
  route(
    {
      method: 'POST',
      path: '/v1/teams/{teamId}/projects',
      summary: 'Teams: add a project (owners and admins)',
      auth: true,
      body: CreateProjectRequest,
      response: TeamProject,
    },
    async ({ request, params, body }) => ({
      status: 201,
      body: await teams.createProject(teamId(params), await accountOf(request), body.name),
    }),
  );
  route(
    {
      method: 'POST',
      path: '/v1/teams/{teamId}/budgets',
      summary:
        'Teams: set a monthly budget for a member or project (owners and admins), a signed budget entry',
      auth: true,
      body: SetBudgetRequest,
      response: SetBudgetResponse,
    },
    teamWrite((team, caller, body) => teamWallet.setBudget(team, caller, body)),
  );
  route(
    {
      method: 'POST',
      path: '/v1/teams/{teamId}/holds',
      summary:
        "Teams: hold credits on the team wallet for a project; refused past the member's or project's budget (403 team-budget)",
      auth: true,
      body: TeamHoldRequest,
      response: HoldResponse,
    },
    teamWrite((team, caller, body) => teamWallet.hold(team, caller, body)),
  );
  route(
    {
      method: 'POST',
      path: '/v1/teams/{teamId}/holds/{holdId}/capture',
      summary: 'Teams: capture a hold the caller made; the rest returns',
      auth: true,
      body: CaptureRequest,
      response: HoldResponse,
    },
    teamWrite((team, caller, body, params) =>
      teamWallet.capture(team, caller, params.holdId ?? '', body),
    ),
  );
  route(
    {
      method: 'POST',
      path: '/v1/teams/{teamId}/holds/{holdId}/release',
      summary: 'Teams: release a hold (its member, or an owner or admin)',
      auth: true,
      body: ReleaseRequest,
      response: HoldResponse,
    },
    teamWrite((team, caller, body, params) =>
      teamWallet.release(team, caller, params.holdId ?? '', body),
    ),
  );
  route(
    {
      method: 'POST',
      path: '/v1/teams/{teamId}/allowances',
      summary:
        "Teams: reserve an offline allowance from the team wallet for the caller's device, within their budget",
      auth: true,
      body: AllowanceRequest,
      response: AllowanceResponse,
    },
    teamWrite((team, caller, body) => teamWallet.allowance(team, caller, body)),
  );
  route(
    {
      method: 'POST',
      path: '/v1/teams/{teamId}/allowances/{allowanceId}/settle',
      summary:
        "Teams: settle the vouchers the caller's device spent offline from its team allowance (idempotent per counter); returnRest gives back the rest",
      auth: true,
      body: TeamSettleRequest,
      response: TeamSettleResponse,
    },
    teamWrite((team, caller, body, params) =>
      teamWallet.settleAllowance(team, caller, params.allowanceId ?? '', body),
    ),
  );
  route(
    {
      method: 'POST',
      path: '/v1/teams/{teamId}/allowances/{allowanceId}/return',
      summary: "Teams: give back what is left of the caller's team allowance",
      auth: true,
      body: TeamReturnRequest,
      response: TeamSettleResponse,
    },
    teamWrite((team, caller, body, params) =>
      teamWallet.returnAllowance(team, caller, params.allowanceId ?? '', body),
    ),
  );
  route(
    {
      method: 'GET',
      path: '/v1/teams/{teamId}/ledger/entries',
      summary: "Teams: the team wallet's entries after a cursor, with a signed checkpoint",
      auth: true,
      query: PullQuery,
      response: PullResponse,
    },
    async ({ request, params, query }) => {
      const accountId = await walletOf(request, params);
      const page: PulledPage = await sync.pull(accountId, query.after, query.limit);
      return { body: new JsonText(pullResponseJson(page)) };
    },
  );
  route(
    {
      method: 'GET',
      path: '/v1/teams/{teamId}/balance',
      summary: "Teams: the team wallet's balances now",
      auth: true,
      response: BalanceResponse,
    },
    async ({ request, params }) => {
      const accountId = await walletOf(request, params);
      const state = await ledger.wallet(accountId);
      return { body: { seq: state.seq, balances: state.balances } };
    },
  );
  route(
    {
      method: 'GET',
      path: '/v1/teams/{teamId}/report',
      summary: 'Teams: credits spent per project and per member in a UTC month',
      auth: true,
      query: ReportQuery,
      response: TeamReport,
    },
    async ({ request, params, query }) => {
      const accountId = await walletOf(request, params);
      const month = query.month ?? periodOf(clock.now());
      return { body: await teamReport(db, teamId(params), accountId, month) };
    },
  );
}
