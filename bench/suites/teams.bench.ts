import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Benchmark } from '../harness';
import { setup } from './server.bench';

const here = dirname(fileURLToPath(import.meta.url));
const MEMBERS = 20;
const SECONDS = 4;

/** Runs the HTTP load generator (its own process) and returns pairs per second. */
function loadgen(input: {
  base: string;
  tokens: string[];
  prefix: string;
  holdsPath?: string;
  holdExtra?: Record<string, unknown>;
}): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, '..', 'loadgen.ts')], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`load generator exited with ${code}`));
      const r = JSON.parse(out) as { pairs: number; seconds: number };
      resolve(r.pairs / r.seconds);
    });
    child.stdin.end(JSON.stringify({ ...input, seconds: SECONDS }));
  });
}

/**
 * docs/architecture.md §14: 20 members spending from one team wallet (membership checked in the
 * write, a budget per member and per project, the charge and usage rows) against 20 clients
 * spending from one personal account, both over HTTP on one PostgreSQL in the same run. Both
 * serialise on one account's row lock, so the ratio is what the team bookkeeping costs.
 */
async function teamHoldsBench() {
  const { services, base, drop } = await setup('postgres');
  try {
    const signUp = (name: string) =>
      services.auth.signUp(
        `${name}-${randomBytes(4).toString('hex')}@example.com`,
        'correct horse battery',
      );
    const single = await signUp('single');
    await services.ledger.grant(single.accountId, {
      operationId: 'bench-fund-single',
      amount: 1_000_000_000,
      source: 'promo',
      reason: 'bench',
    });
    const owner = await signUp('owner');
    const team = await services.teams.create(owner.accountId, 'Bench team');
    await services.ledger.grant(team.accountId, {
      operationId: 'bench-fund-team',
      amount: 1_000_000_000,
      source: 'pack',
      reason: 'bench',
    });
    const project = await services.teams.createProject(team.teamId, owner.accountId, 'Bench');
    await services.teamWallet.setBudget(team.teamId, owner.accountId, {
      operationId: 'bench-budget-project',
      scope: 'project',
      subjectId: project.projectId,
      monthly: 10_000_000,
    });
    const members: string[] = [];
    for (let i = 0; i < MEMBERS; i++) {
      const m = await signUp(`member${i}`);
      const invite = await services.teams.invite(team.teamId, owner.accountId, {
        email: m.email,
        role: 'member',
      });
      await services.teams.accept(m.accountId, invite.token);
      await services.teamWallet.setBudget(team.teamId, owner.accountId, {
        operationId: `bench-budget-${i}`,
        scope: 'member',
        subjectId: m.accountId,
        monthly: 10_000_000,
      });
      members.push(m.token);
    }
    const personal = await loadgen({
      base,
      tokens: Array.from({ length: MEMBERS }, () => single.token),
      prefix: 'bench-single',
    });
    const teamRate = await loadgen({
      base,
      tokens: members,
      prefix: 'bench-team',
      holdsPath: `/v1/teams/${team.teamId}/holds`,
      holdExtra: { projectId: project.projectId },
    });
    return {
      value: teamRate,
      unit: 'pairs/s',
      baseline: personal,
      better: 'higher' as const,
      note: `hold+capture pairs over HTTP from ${MEMBERS} members on one team wallet (member and project budgets set), ${SECONDS} s, PostgreSQL; baseline: ${MEMBERS} clients on one personal account in the same run; target ratio ≥ 0.5`,
    };
  } finally {
    await drop();
  }
}

export const benchmarks: Benchmark[] = [
  {
    id: 'team-holds-pg',
    title: 'Team wallet: hold+capture pairs per second from 20 members',
    run: teamHoldsBench,
  },
];
