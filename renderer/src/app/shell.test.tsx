// @vitest-environment jsdom
import 'fake-indexeddb/auto';
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobView } from '../../../shared/ipc/types';
import { createFakeEasel, type FakeEasel } from '../../testing/fake-easel';
import { openDb } from '../db/db';
import { createAppStores, type AppStores } from '../stores/app-stores';
import { sentence } from '../util/errors';
import { App } from './App';
import { StoresContext } from './context';

let stores: AppStores | null = null;
let n = 0;
afterEach(() => {
  cleanup();
  stores?.stop();
  stores = null;
  delete document.documentElement.dataset.theme;
});

async function mount(api: FakeEasel): Promise<AppStores> {
  const s = createAppStores(api, {
    openDb: (id) => openDb(`shell-test-${++n}-${id}`),
    remember: null,
  });
  stores = s;
  await s.session.getState().load();
  render(
    <StoresContext.Provider value={s}>
      <App />
    </StoresContext.Provider>,
  );
  return s;
}

const runningJob = (jobId: string): JobView => ({
  jobId,
  operationId: `op-${jobId}`,
  tool: 'generate',
  state: 'running',
  progress: 0.3,
  stage: null,
  etaSeconds: null,
  heldCredits: 6,
  capturedCredits: null,
  error: null,
  outputs: [],
  createdAt: new Date().toISOString(),
  params: { prompt: 'a harbour' },
});

describe('the shell: title, theme, first run', () => {
  it('names the screen and the running jobs in the document title', async () => {
    const api = createFakeEasel();
    await mount(api);
    await waitFor(() => expect(document.title).toBe('Studio — Easel'));
    act(() => api.emit('jobUpdate', runningJob('job-a')));
    await waitFor(() => expect(document.title).toBe('Studio · 1 running — Easel'));
    act(() => api.emit('jobUpdate', runningJob('job-b')));
    fireEvent.click(screen.getByRole('button', { name: 'Wallet' }));
    await waitFor(() => expect(document.title).toBe('Wallet · 2 running — Easel'));
    act(() => api.emit('jobUpdate', { ...runningJob('job-a'), state: 'failed' }));
    await waitFor(() => expect(document.title).toBe('Wallet · 1 running — Easel'));
  });

  it('puts the chosen theme on <html>, and "system" follows prefers-color-scheme', async () => {
    const api = createFakeEasel();
    const s = await mount(api);
    // jsdom has no matchMedia: "system" is light there.
    await waitFor(() => expect(document.documentElement.dataset.theme).toBe('light'));
    await act(() => s.session.getState().updateSettings({ theme: 'dark' }));
    expect(document.documentElement.dataset.theme).toBe('dark');
    expect((await api.getSettings({})).theme).toBe('dark');
  });

  it('opens on "Create your account" the first time and on "Sign in" after a sign-out', async () => {
    const api = createFakeEasel({ signedIn: false });
    const s = await mount(api);
    await screen.findByRole('heading', { name: 'Create your account' });
    await waitFor(() =>
      expect(screen.getByTestId('signup-offer').textContent).toContain('50 credits to start'),
    );
    await act(() => s.session.getState().signIn('ada@example.com', 'correct horse battery', true));
    await screen.findByTestId('welcome');
    await act(() => s.signOut());
    await screen.findByRole('heading', { name: 'Sign in' });
    expect(screen.getByRole('button', { name: 'Sign in' })).toBeTruthy();
  });

  it('writes errors as sentences', () => {
    expect(sentence('wrong email or password')).toBe('Wrong email or password.');
    expect(sentence('Already a sentence.')).toBe('Already a sentence.');
    expect(sentence('  trailing space ')).toBe('Trailing space.');
  });
});
