// @vitest-environment jsdom
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobView } from '../../../shared/ipc/types';
import type { Quote } from '../../../shared/pricing/request';
import { createFakeEasel } from '../../testing/fake-easel';
import { openDb } from '../db/db';
import { readyImageUrl } from '../studio/image-cache';
import { createCatalogStore } from './catalog-store';
import { createJobsStore } from './jobs-store';
import { createStudioStore, type StudioStore } from './studio-store';

let n = 0;
const stops: Array<() => void> = [];
afterEach(() => {
  for (const s of stops.splice(0)) s();
});

const until = async (check: () => boolean, ms = 3000): Promise<void> => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
};

const view = (jobId: string, state: JobView['state'], outputs = 0): JobView => ({
  jobId,
  operationId: `op-${jobId}-0000`,
  tool: 'generate',
  state,
  progress: state === 'running' ? 0.4 : 1,
  stage: state === 'running' ? 'Sampling step 8 of 20' : null,
  etaSeconds: state === 'running' ? 6 : null,
  heldCredits: 12,
  capturedCredits: state === 'succeeded' ? 12 : null,
  error: state === 'failed' ? 'The engine stopped.' : null,
  outputs: Array.from({ length: outputs }, (_, i) => ({
    itemId: `${jobId}-${i}`,
    sha256: 'ab'.repeat(32),
    width: 512,
    height: 512,
    mime: 'image/png',
    refundCredits: 4,
    disliked: false,
    localPath: null,
  })),
  createdAt: new Date().toISOString(),
  params: { prompt: 'A lighthouse in fog', count: outputs || 1 },
});

async function setup(shown: boolean) {
  const api = createFakeEasel();
  const notes: Array<{ title: string; body: string }> = [];
  api.notify = async (p) => {
    notes.push({ title: p.title, body: p.body });
    return { shown };
  };
  const db = openDb(`test-studio-${++n}`);
  const catalog = createCatalogStore(api, db, () => undefined);
  const jobs = createJobsStore(api, db, () => undefined);
  const studio: StudioStore = createStudioStore(api, jobs, catalog);
  stops.push(
    () => jobs.getState().stop(),
    () => studio.getState().stop(),
  );
  await Promise.all([jobs.getState().start(), studio.getState().start()]);
  return { api, studio, jobs, notes };
}

describe('studio store: runs that end while the user is elsewhere', () => {
  it('on another screen: a notice (a toast where no system notification showed) and a badge', async () => {
    const { api, studio, jobs, notes } = await setup(false);
    studio.getState().setScreen('gallery');
    api.emit('jobUpdate', view('j1', 'running'));
    await until(() => jobs.getState().jobs.j1?.state === 'running');
    api.emit('jobUpdate', view('j1', 'succeeded', 2));
    await until(() => studio.getState().toasts.length === 1);
    expect(notes).toEqual([
      {
        title: 'Your 2 images are ready',
        body: 'A lighthouse in fog. Open the Studio to see them.',
      },
    ]);
    expect(studio.getState().toasts[0]?.text).toBe(
      'Your 2 images are ready. A lighthouse in fog. Open the Studio to see them.',
    );
    expect(studio.getState().unseen).toBe(1);
    // A failure is told too.
    api.emit('jobUpdate', view('j2', 'queued'));
    api.emit('jobUpdate', view('j2', 'failed'));
    await until(() => studio.getState().unseen === 2);
    await until(() => notes.length === 2);
    expect(notes[1]?.title).toBe('A run did not finish');
    // Back on the Studio: the badge goes.
    studio.getState().setScreen('studio');
    expect(studio.getState().unseen).toBe(0);
  });

  it('on the Studio, in view: no notice; a system notification shown means no toast', async () => {
    const { api, studio, jobs, notes } = await setup(true);
    api.emit('jobUpdate', view('j3', 'running'));
    api.emit('jobUpdate', view('j3', 'succeeded', 1));
    await until(() => jobs.getState().jobs.j3?.state === 'succeeded');
    await new Promise((r) => setTimeout(r, 50));
    expect(notes).toEqual([]);
    expect(studio.getState().unseen).toBe(0);
    studio.getState().setScreen('wallet');
    api.emit('jobUpdate', view('j4', 'running'));
    api.emit('jobUpdate', view('j4', 'succeeded', 1));
    await until(() => notes.length === 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(notes[0]?.title).toBe('Your image is ready');
    expect(studio.getState().toasts).toEqual([]);
    expect(studio.getState().unseen).toBe(1);
  });

  it('a run first seen already ended (listed at start) is not announced', async () => {
    const { api, studio, jobs, notes } = await setup(false);
    studio.getState().setScreen('gallery');
    api.emit('jobUpdate', view('old', 'succeeded', 1));
    await until(() => jobs.getState().jobs.old !== undefined);
    await new Promise((r) => setTimeout(r, 50));
    expect(notes).toEqual([]);
    expect(studio.getState().unseen).toBe(0);
  });
});

describe('studio store: preview frames', () => {
  it('keeps the newest frame of each image while the run works, and drops them once results are in', async () => {
    let made = 0;
    const revoked: string[] = [];
    URL.createObjectURL = () => `blob:frame-${++made}`;
    URL.revokeObjectURL = (u: string) => void revoked.push(u);
    const { api, studio } = await setup(true);
    api.emit('jobUpdate', view('p1', 'running'));
    api.emit('jobPreview', { jobId: 'p1', index: 0, mime: 'image/png', base64: 'AAAA' });
    api.emit('jobPreview', { jobId: 'p1', index: 1, mime: 'image/png', base64: 'AAAA' });
    api.emit('jobPreview', { jobId: 'p1', index: 0, mime: 'image/png', base64: 'AAAA' });
    await until(() => studio.getState().previews.p1?.[0] === 'blob:frame-3');
    expect(studio.getState().previews.p1).toEqual({ 0: 'blob:frame-3', 1: 'blob:frame-2' });
    expect(revoked).toEqual(['blob:frame-1']);
    api.emit('jobUpdate', view('p1', 'succeeded', 2));
    await until(() => studio.getState().previews.p1 === undefined);
    expect(revoked.sort()).toEqual(['blob:frame-1', 'blob:frame-2', 'blob:frame-3']);
  });
});

describe('studio store: results of a run', () => {
  it('are fetched as bytes the moment the run succeeds, never as base64', async () => {
    const { api, jobs } = await setup(true);
    const asked: string[] = [];
    const fileBlob = api.fileBlob.bind(api);
    api.fileBlob = async (sha256) => (asked.push(sha256), fileBlob(sha256));
    api.getFile = async () => {
      throw new Error('a result must not travel as base64');
    };
    const done = view('j9', 'succeeded', 1);
    const sha = 'cd'.repeat(32);
    done.outputs[0] = { ...done.outputs[0]!, sha256: sha };
    api.emit('jobUpdate', view('j9', 'running'));
    await until(() => jobs.getState().jobs.j9?.state === 'running');
    expect(asked).toEqual([]);
    api.emit('jobUpdate', done);
    await until(() => asked.length === 1);
    expect(asked).toEqual([sha]);
    await until(() => readyImageUrl(sha) !== null);
    expect(readyImageUrl(sha)).toMatch(/^blob:/);
  });
});

describe('studio store: the input of a run being submitted', () => {
  it('stays alive as the run’s "before" when another input is chosen before the submit answers', async () => {
    const revoked: string[] = [];
    URL.revokeObjectURL = (u: string) => void revoked.push(u);
    const { studio, jobs } = await setup(true);
    let answer: (job: JobView) => void = () => undefined;
    jobs.setState({
      submit: () =>
        new Promise<JobView | null>((resolve) => {
          answer = resolve;
        }),
    });
    studio.setState({ inputPreview: 'blob:first-input' });
    // The stubbed submit never reads the quote.
    const running = studio.getState().run('cutout', {}, {} as Quote);
    // The creator replaces (here: removes) the input while the run is on its way.
    studio.getState().clearInput();
    expect(revoked).toEqual([]);
    answer({ ...view('c1', 'queued'), tool: 'cutout' });
    await running;
    expect(studio.getState().beforeOf.c1).toBe('blob:first-input');
    expect(revoked).toEqual([]);
  });
});
