import type { TeamWalletRow } from '../../../shared/api/teams';
import {
  type Activity,
  type ActivityKind,
  type ActivityStatus,
  RELEASE_WORDS,
  TOOL_TITLES,
  TOOLS,
} from '../db/activities';
import { creditsText } from '../util/format';

/**
 * One row of a team's History (docs/architecture.md §14): an activity in the personal History's
 * shape, with the member and project it is charged to and the wallet rows it was built from.
 */
export interface TeamActivity extends Activity {
  memberId: string | null;
  projectId: string | null;
  entries: TeamWalletRow[];
}

/** A row's words for a creator: main names a run's hold in ledger terms (docs/architecture.md §2). */
export const teamRowWords = (label: string): string =>
  label
    .replace(/^Hold for (.+)$/, 'Set aside for a $1 run')
    .replace(/^Hold released \((.+)\)$/, 'Returned, not charged ($1)');

/** What the renderer knows of a team run (the team's runs list), by job id. */
export type RunTitle = (jobId: string) => string | null;

/** The name of a budget's member (their e-mail) or project. */
export type SubjectName = (scope: 'member' | 'project', id: string) => string;

/** A budget row in plain words: whose budget, and what it is now. */
function budgetWords(
  budget: NonNullable<TeamWalletRow['budget']>,
  nameOf: SubjectName,
): { title: string; detail: string } {
  const whose = nameOf(budget.scope, budget.subjectId);
  return {
    title: `Monthly budget: ${whose}`,
    detail:
      budget.monthly === null
        ? `${budget.scope === 'member' ? 'Member' : 'Project'} budget removed: no limit`
        : `${budget.scope === 'member' ? 'Member' : 'Project'} budget set to ${creditsText(budget.monthly)} a month`,
  };
}

const toolTitle = (tool: string | undefined): string =>
  tool === undefined ? 'Run' : (TOOL_TITLES[tool] ?? tool);

/** A run's title: its prompt when the run is known, else the signed summary, else its tool. */
function runTitle(r: TeamWalletRow, title: RunTitle): string {
  const known = r.jobId === undefined ? null : title(r.jobId);
  return known || r.summary || (r.tool ? `${r.tool} run` : 'Run');
}

const SINGLE: Record<string, { kind: ActivityKind; status: ActivityStatus }> = {
  grant: { kind: 'free', status: 'credited' },
  purchase: { kind: 'purchase', status: 'credited' },
  settle: { kind: 'other', status: 'charged' },
  reserve: { kind: 'allowance', status: 'reserved' },
  unreserve: { kind: 'allowance', status: 'returned' },
  budget: { kind: 'adjustment', status: 'adjusted' },
};

/**
 * Groups a team wallet's rows (newest first, as main hands them) into activities, newest first,
 * the way the personal History does (docs/architecture.md §9, §14): a run's hold and its capture
 * or release are one activity titled with its prompt; a refund is its own, named after its run;
 * every other row is one activity in plain words.
 */
export function teamActivities(
  rows: readonly TeamWalletRow[],
  title: RunTitle,
  nameOf: SubjectName = (_scope, id) => id,
): TeamActivity[] {
  const out: TeamActivity[] = [];
  const runs = new Map<string, TeamActivity>();
  const ordered = [...rows].sort((a, b) => a.seq - b.seq);
  const make = (
    r: TeamWalletRow,
    key: string,
    a: Pick<Activity, 'kind' | 'title' | 'detail' | 'status' | 'ref' | 'credits'>,
  ): TeamActivity => {
    const activity: TeamActivity = {
      ...a,
      n: out.length,
      key,
      creditKind: 'image',
      balanceAfter: Number.NaN,
      at: r.at,
      seqs: [r.seq],
      search: '',
      memberId: r.memberId,
      projectId: r.projectId,
      entries: [r],
    };
    out.push(activity);
    return activity;
  };
  for (const r of ordered) {
    const run = r.holdId === undefined ? undefined : runs.get(r.holdId);
    if (r.type === 'hold' && r.holdId !== undefined) {
      const held = r.held ?? 0;
      runs.set(
        r.holdId,
        make(r, `hold:${r.holdId}`, {
          kind: TOOLS[r.tool ?? ''] ?? 'other',
          title: runTitle(r, title),
          detail: `Being made · ${creditsText(held)} set aside`,
          status: 'pending',
          credits: -held,
          ref: r.jobId ?? '',
        }),
      );
    } else if ((r.type === 'capture' || r.type === 'release') && run) {
      run.seqs.push(r.seq);
      run.entries.push(r);
      if (r.type === 'capture') {
        run.status = 'charged';
        run.credits = r.credits;
        run.detail = `${toolTitle(r.tool)} · ${creditsText(-r.credits)} charged`;
      } else {
        const reason = /^Hold released \((.+)\)$/.exec(r.label)?.[1] ?? '';
        run.status = 'released';
        run.credits = 0;
        run.detail = `${toolTitle(r.tool)} · ${RELEASE_WORDS[reason] ?? 'not charged'}`;
      }
    } else if (r.type === 'refund') {
      const what = run?.title ?? (r.jobId || r.summary || r.tool ? runTitle(r, title) : '');
      make(r, `seq:${r.seq}`, {
        kind: 'refund',
        title: `Refund: ${what || 'an image'}`,
        detail: r.label.replace(/^Refund: /, '') || 'disliked image',
        status: 'refunded',
        credits: r.credits,
        ref: r.itemId ?? r.jobId ?? '',
      });
    } else {
      const facts = SINGLE[r.type] ?? { kind: 'other', status: 'credited' };
      make(r, `seq:${r.seq}`, {
        ...facts,
        ...(r.budget
          ? budgetWords(r.budget, nameOf)
          : { title: teamRowWords(r.label), detail: '' }),
        credits: r.credits,
        ref: '',
      });
    }
  }
  for (const a of out) a.search = `${a.title} ${a.detail} ${a.status}`.toLowerCase();
  return out.reverse();
}
