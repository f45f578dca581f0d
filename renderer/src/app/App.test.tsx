// @vitest-environment jsdom
import 'fake-indexeddb/auto';
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeEasel, type FakeEasel } from '../../testing/fake-easel';
import { openDb } from '../db/db';
import { createAppStores, type AppStores } from '../stores/app-stores';
import { App } from './App';
import { StoresContext } from './context';

let stores: AppStores | null = null;
let n = 0;

afterEach(() => {
  cleanup();
  stores?.stop();
  stores = null;
});

async function mount(api: FakeEasel): Promise<AppStores> {
  const s = createAppStores(api, {
    openDb: (id) => openDb(`app-test-${++n}-${id}`),
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

const balance = (): string => screen.getByTestId('balance').textContent ?? '';

describe('App', () => {
  it('shows the balance and the exact quote under Generate for 1, 2 and 4 images', async () => {
    const api = createFakeEasel();
    api.grant(20, 'daily');
    api.grant(50, 'bonus', 30);
    await mount(api);
    await waitFor(() => expect(balance()).toBe('70'));
    await waitFor(() => expect(screen.getByTestId('quote-credits').textContent).toBe('6'));
    expect(screen.getByTestId('after-credits').textContent).toBe('64');
    fireEvent.click(screen.getByTestId('count-2'));
    expect(screen.getByTestId('quote-credits').textContent).toBe('12');
    fireEvent.click(screen.getByTestId('count-4'));
    expect(screen.getByTestId('quote-credits').textContent).toBe('24');
    fireEvent.change(screen.getByLabelText('Model'), { target: { value: 'pro' } });
    expect(screen.getByTestId('quote-credits').textContent).toBe('36');
    expect(screen.getByRole('option', { name: 'Easel Preview — offline, not AI' })).toBeTruthy();
  });

  it('says when credits are short and offers a top-up', async () => {
    const api = createFakeEasel();
    api.grant(10, 'daily');
    await mount(api);
    await waitFor(() => expect(balance()).toBe('10'));
    fireEvent.click(screen.getByTestId('count-2'));
    expect(screen.getByRole('button', { name: /Not enough credits/ })).toBeTruthy();
    expect(screen.getByTestId('cost-line').textContent).toMatch(
      /^Not enough credits: needs 12, you have 10 \(/,
    );
    fireEvent.click(screen.getByRole('button', { name: 'Top up credits' }));
    await waitFor(() => expect(screen.getByRole('heading', { name: 'Store' })).toBeTruthy());
  });

  it('generates, charging exactly the quote', async () => {
    const api = createFakeEasel();
    api.grant(70, 'bonus', 30);
    await mount(api);
    await waitFor(() => expect(balance()).toBe('70'));
    fireEvent.change(screen.getByLabelText('Prompt'), { target: { value: 'a quiet lake' } });
    fireEvent.click(screen.getByTestId('count-2'));
    fireEvent.click(screen.getByRole('button', { name: 'Generate 2 images' }));
    await waitFor(() => expect(balance()).toBe('58'));
  });

  it('windows History: 3,000 entries, a few dozen rows in the DOM', async () => {
    const api = createFakeEasel();
    api.bulkGrant(3000);
    await mount(api);
    await waitFor(() => expect(balance()).toBe('3,000'), { timeout: 10_000 });
    fireEvent.click(screen.getByRole('button', { name: 'History' }));
    await waitFor(() => expect(screen.getAllByText('Bonus credits').length).toBeGreaterThan(5));
    expect(screen.getByTestId('history-count').textContent).toContain('3,000 activities');
    expect(screen.getByTestId('history-count').textContent).toContain('3,000 records');
    expect(screen.getAllByRole('row').length).toBeLessThan(60);
    expect(screen.getAllByText('+1 credit').length).toBeGreaterThan(5);
    // Expanding an activity shows its ledger entry, with seq, hash and verification.
    fireEvent.click(screen.getAllByRole('button', { name: 'Bonus credits' })[0] as HTMLElement);
    await waitFor(() => expect(screen.getByText('#3000')).toBeTruthy());
    expect(screen.getByText('✓ Verified')).toBeTruthy();
  });

  it('shows the verification banner when main reports a failure', async () => {
    const api = createFakeEasel();
    api.grant(5, 'daily');
    await mount(api);
    await waitFor(() => expect(balance()).toBe('5'));
    act(() =>
      api.emit('verificationFailed', { reason: 'bad-signature', seq: 1, message: 'forged' }),
    );
    expect(screen.getByTestId('verification-banner').textContent).toContain(
      'could not be verified',
    );
  });

  it('shows offline since and redeems a design offline within the allowance', async () => {
    const api = createFakeEasel();
    api.grant(70, 'bonus', 30);
    const s = await mount(api);
    await waitFor(() => expect(balance()).toBe('70'));
    await api.takeAllowance({ amount: 60 });
    await s.ledger.getState().refreshAllowance();
    api.online = false;
    act(() =>
      api.emit('syncState', {
        status: 'offline',
        progress: null,
        offlineSince: '2026-11-20T09:00:00.000Z',
        lastSyncedAt: null,
        error: null,
        pendingMutations: 0,
      }),
    );
    expect(screen.getByTestId('sync-state').textContent).toContain('Offline since');
    fireEvent.click(screen.getByRole('button', { name: 'Designs' }));
    await waitFor(() =>
      expect(screen.getByTestId('offline-left').textContent).toContain('60 credits left'),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Redeem offline (50)' }));
    // A confirmation first, with the price and the balance after; nothing is spent yet.
    expect(screen.getByTestId('balance-after').textContent).toBe('20 credits');
    expect(balance()).toBe('70');
    fireEvent.click(screen.getByRole('button', { name: 'Redeem for 50 credits' }));
    await waitFor(() => expect(screen.getByText(/settles when back online/)).toBeTruthy());
    await waitFor(() => expect(balance()).toBe('20'));

    // Back online: the redemption settles, and nothing still says it is waiting.
    api.online = true;
    act(() =>
      api.emit('syncState', {
        status: 'idle',
        progress: null,
        offlineSince: null,
        lastSyncedAt: '2026-11-20T10:00:00.000Z',
        error: null,
        pendingMutations: 0,
      }),
    );
    await waitFor(() =>
      expect(screen.getByText('Your offline redemption has settled with the server.')).toBeTruthy(),
    );
    expect(screen.queryByText(/settles when/)).toBeNull();
    expect(screen.getByText('Owned · available offline')).toBeTruthy();
  });
});
