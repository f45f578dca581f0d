import { describe, expect, it } from 'vitest';
import type { TeamWalletRow } from '../../../shared/api/teams';
import { teamActivities } from './team-activities';

const at = (seq: number): string => `2026-12-02T10:00:${String(seq).padStart(2, '0')}.000Z`;
const tag = { memberId: 'acct_a', projectId: 'prj_1' };
const run = (hold: string, job: string, tool = 'generate') => ({
  holdId: hold,
  jobId: job,
  tool,
  summary: 'a signed excerpt',
});
const hold = (seq: number, id: string, job: string, held = 6): TeamWalletRow => ({
  seq,
  at: at(seq),
  type: 'hold',
  credits: 0,
  ...tag,
  ...run(id, job),
  held,
  label: 'Hold for generate',
});
const capture = (seq: number, id: string, job: string, amount = 6): TeamWalletRow => ({
  seq,
  at: at(seq),
  type: 'capture',
  credits: -amount,
  ...tag,
  ...run(id, job),
  label: 'Charged',
});
const release = (seq: number, id: string, job: string): TeamWalletRow => ({
  seq,
  at: at(seq),
  type: 'release',
  credits: 0,
  ...tag,
  ...run(id, job),
  label: 'Hold released (cancelled)',
});
const refund = (seq: number, id: string, job: string, amount = 6): TeamWalletRow => ({
  seq,
  at: at(seq),
  type: 'refund',
  credits: amount,
  ...tag,
  ...run(id, job),
  itemId: `${job}-item-0`,
  label: 'Refund: disliked image',
});
const grant = (seq: number): TeamWalletRow => ({
  seq,
  at: at(seq),
  type: 'grant',
  credits: 1000,
  memberId: null,
  projectId: null,
  label: 'Credits added: team pack',
});

const prompts: Record<string, string> = { job_1: 'a red fox', job_2: 'a blue whale' };
const known = (jobId: string): string | null => prompts[jobId] ?? null;
/** Main hands rows newest first. */
const newestFirst = (rows: TeamWalletRow[]): TeamWalletRow[] => [...rows].reverse();

describe('teamActivities (a team History reads like the personal one)', () => {
  it('folds a run’s hold and capture into one charged row titled with its prompt', () => {
    const list = teamActivities(
      newestFirst([grant(1), hold(2, 'h1', 'job_1'), capture(3, 'h1', 'job_1')]),
      known,
    );
    expect(list.map((a) => [a.title, a.detail, a.credits, a.status])).toEqual([
      ['a red fox', 'Image generation · 6 credits charged', -6, 'charged'],
      ['Credits added: team pack', '', 1000, 'credited'],
    ]);
    expect(list[0]?.seqs).toEqual([2, 3]);
    expect(list[0]?.entries.map((r) => r.label)).toEqual(['Hold for generate', 'Charged']);
    expect(list[0]?.ref).toBe('job_1');
    expect([list[0]?.memberId, list[0]?.projectId]).toEqual(['acct_a', 'prj_1']);
  });

  it('shows a released run as one row with nothing charged', () => {
    const [a] = teamActivities(
      newestFirst([hold(1, 'h1', 'job_1'), release(2, 'h1', 'job_1')]),
      known,
    );
    expect([a?.title, a?.detail, a?.credits, a?.status]).toEqual([
      'a red fox',
      'Image generation · cancelled, not charged',
      0,
      'released',
    ]);
  });

  it('shows an open hold as a run being made, with what it sets aside', () => {
    const [a] = teamActivities([hold(1, 'h1', 'job_2', 12)], known);
    expect([a?.title, a?.detail, a?.credits, a?.status]).toEqual([
      'a blue whale',
      'Being made · 12 credits set aside',
      -12,
      'pending',
    ]);
  });

  it('gives a refund its own row named after its run; the run stays charged, as in History', () => {
    const list = teamActivities(
      newestFirst([hold(1, 'h1', 'job_1'), capture(2, 'h1', 'job_1'), refund(3, 'h1', 'job_1')]),
      known,
    );
    expect(list.map((a) => [a.title, a.detail, a.credits, a.status, a.ref])).toEqual([
      ['Refund: a red fox', 'disliked image', 6, 'refunded', 'job_1-item-0'],
      ['a red fox', 'Image generation · 6 credits charged', -6, 'charged', 'job_1'],
    ]);
  });

  it('names a run the renderer does not know by its signed summary, else its tool', () => {
    const unknown = (): string | null => null;
    const [withSummary] = teamActivities([hold(1, 'h1', 'job_9')], unknown);
    expect(withSummary?.title).toBe('a signed excerpt');
    const bare: TeamWalletRow = { ...hold(1, 'h1', 'job_9') };
    delete bare.summary;
    expect(teamActivities([bare], unknown)[0]?.title).toBe('generate run');
  });

  it('names a refund whose run is not in the rows (older) after its job, else its tool', () => {
    const [a] = teamActivities([refund(7, 'h_old', 'job_2')], known);
    expect([a?.title, a?.credits, a?.status]).toEqual(['Refund: a blue whale', 6, 'refunded']);
    const bare: TeamWalletRow = { ...refund(7, 'h_old', 'job_9') };
    delete bare.summary;
    expect(teamActivities([bare], () => null)[0]?.title).toBe('Refund: generate run');
  });

  it('keeps grants, budgets and other rows one each, newest first, in plain words', () => {
    const budget: TeamWalletRow = {
      seq: 2,
      at: at(2),
      type: 'budget',
      credits: 0,
      memberId: 'acct_o',
      projectId: null,
      label: 'Budget for a member: 50 credits a month',
    };
    const list = teamActivities([budget, grant(1)], known);
    expect(list.map((a) => [a.title, a.status, a.seqs])).toEqual([
      ['Budget for a member: 50 credits a month', 'adjusted', [2]],
      ['Credits added: team pack', 'credited', [1]],
    ]);
  });

  it('names whose budget a budget row sets, and says when a limit is removed', () => {
    const budget = (seq: number, b: NonNullable<TeamWalletRow['budget']>): TeamWalletRow => ({
      seq,
      at: at(seq),
      type: 'budget',
      credits: 0,
      memberId: 'acct_o',
      projectId: null,
      budget: b,
      label: 'Budget for a project: 100 credits a month',
    });
    const names = (scope: 'member' | 'project', id: string): string =>
      scope === 'member' ? `${id}@example.com` : `project ${id}`;
    const list = teamActivities(
      [
        budget(1, { scope: 'project', subjectId: 'prj_1', monthly: 100 }),
        budget(2, { scope: 'member', subjectId: 'acct_a', monthly: null }),
      ],
      known,
      names,
    );
    expect(list.map((a) => [a.title, a.detail])).toEqual([
      ['Monthly budget: acct_a@example.com', 'Member budget removed: no limit'],
      ['Monthly budget: project prj_1', 'Project budget set to 100 credits a month'],
    ]);
  });
});
