// @vitest-environment jsdom
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { EaselError } from '../../../shared/ipc/contract';
import type { JobView } from '../../../shared/ipc/types';
import type { Quote } from '../../../shared/pricing/request';
import { createFakeEasel } from '../../testing/fake-easel';
import { openDb } from '../db/db';
import { createJobsStore } from './jobs-store';
import { useTeams } from './team-store';

let n = 0;
afterEach(() => useTeams.setState({ selected: null, projectId: null }));

const quote: Quote = { credits: 6, priceBookVersion: 1, lines: [], currency: 'image' };

// docs/architecture.md §14: a Studio run goes to the wallet chosen in the top bar, with the
// project picked for it; a refusal is a sentence, not a crash.
describe('Studio runs on the chosen team wallet (renderer)', () => {
  it('sends the chosen team and project with the run, and none on the personal wallet', async () => {
    const api = createFakeEasel();
    const sent: unknown[] = [];
    api.submitJob = async (job) => {
      sent.push(job.team ?? null);
      return {
        jobId: `job_${sent.length}`,
        operationId: job.operationId,
        tool: job.tool,
        state: 'queued',
        progress: 0,
        stage: null,
        etaSeconds: null,
        heldCredits: 6,
        capturedCredits: null,
        error: null,
        outputs: [],
        createdAt: new Date().toISOString(),
        params: job.params,
        ...(job.team ? { team: { ...job.team, memberId: 'acct_me' } } : {}),
      } satisfies JobView;
    };
    const jobs = createJobsStore(api, openDb(`test-jobs-team-${++n}`), () => undefined);
    useTeams.setState({ selected: 'team_1', projectId: 'prj_1' });
    await jobs.getState().submit('generate', { prompt: 'x' }, quote);
    useTeams.setState({ selected: null, projectId: null });
    await jobs.getState().submit('generate', { prompt: 'y' }, quote);
    expect(sent).toEqual([{ teamId: 'team_1', projectId: 'prj_1' }, null]);
    expect(jobs.getState().jobs.job_1?.team).toEqual({
      teamId: 'team_1',
      projectId: 'prj_1',
      memberId: 'acct_me',
    });
  });

  it('a budget refusal from the server becomes the run’s error sentence', async () => {
    const api = createFakeEasel();
    const sentence =
      "This project's monthly budget is 10 credits: 6 used this month, this needs 6. It resets at 2026-12-01 00:00 UTC.";
    api.submitJob = async () => {
      throw new EaselError('team-budget', sentence);
    };
    const jobs = createJobsStore(api, openDb(`test-jobs-team-${++n}`), () => undefined);
    useTeams.setState({ selected: 'team_1', projectId: 'prj_1' });
    expect(await jobs.getState().submit('generate', { prompt: 'x' }, quote)).toBeNull();
    expect(jobs.getState()).toMatchObject({ error: sentence, submitting: false, jobs: {} });
  });
});
