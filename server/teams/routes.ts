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
import { JsonText } from '../http/route';
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
    async ({ request, params, body }) => {
      const r = await teamWallet.removeMember(
        teamId(params),
        await accountOf(request),
        params.memberId ?? '',
        body.operationId,
      );
      return { status: r.status, body: r.body };
    },
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
    async ({ request, params, body }) => {
      const r = await teamWallet.setBudget(teamId(params), await accountOf(request), body);
      return { status: r.status, body: r.body };
    },
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
    async ({ request, params, body }) => {
      const r = await teamWallet.hold(teamId(params), await accountOf(request), body);
      return { status: r.status, body: r.body };
    },
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
    async ({ request, params, body }) => {
      const r = await teamWallet.capture(
        teamId(params),
        await accountOf(request),
        params.holdId ?? '',
        body,
      );
      return { status: r.status, body: r.body };
    },
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
    async ({ request, params, body }) => {
      const r = await teamWallet.release(
        teamId(params),
        await accountOf(request),
        params.holdId ?? '',
        body,
      );
      return { status: r.status, body: r.body };
    },
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
    async ({ request, params, body }) => {
      const r = await teamWallet.allowance(teamId(params), await accountOf(request), body);
      return { status: r.status, body: r.body };
    },
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
    async ({ request, params, body }) => {
      const r = await teamWallet.settleAllowance(
        teamId(params),
        await accountOf(request),
        params.allowanceId ?? '',
        body,
      );
      return { status: r.status, body: r.body };
    },
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
    async ({ request, params, body }) => {
      const r = await teamWallet.returnAllowance(
        teamId(params),
        await accountOf(request),
        params.allowanceId ?? '',
        body,
      );
      return { status: r.status, body: r.body };
    },
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
      const accountId = await teamWallet.accountOf(teamId(params), await accountOf(request));
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
      const accountId = await teamWallet.accountOf(teamId(params), await accountOf(request));
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
      const accountId = await teamWallet.accountOf(teamId(params), await accountOf(request));
      const month = query.month ?? periodOf(clock.now());
      return { body: await teamReport(db, teamId(params), accountId, month) };
    },
  );
}
