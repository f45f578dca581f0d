import { useEffect, useRef, useState } from 'react';
import type { AutoTopupAttempt } from '../../../shared/api/auto-topup';
import { useJobs, useLedger, useSession, useStores } from '../app/context';
import {
  type AlertMemory,
  type Notice,
  decideAlerts,
  emptyMemory,
  lowThreshold,
  usualRun,
} from './alerts-logic';

const memoryKey = (accountId: string): string => `easel-alerts:${accountId}`;

/** The memory survives restarts, so a sync or a relaunch never repeats an alert. */
function loadMemory(accountId: string): AlertMemory {
  try {
    const raw: unknown = JSON.parse(localStorage.getItem(memoryKey(accountId)) ?? 'null');
    if (typeof raw !== 'object' || raw === null) return emptyMemory;
    const m = raw as Partial<Record<keyof AlertMemory, unknown>>;
    const strings = (v: unknown): string[] =>
      Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
    return { low: m.low === true, expiring: strings(m.expiring), topups: strings(m.topups) };
  } catch {
    // An unreadable memory only means an alert may be shown once more.
    return emptyMemory;
  }
}

/**
 * Alerts (docs/architecture.md §7): low balance, credits expiring soon and an auto top-up that
 * needs the user, each once per crossing. Shown as an OS notification from main; where main has
 * none (browser mode), a web notification when permitted, else an in-app notice here.
 */
export function Alerts() {
  const { api } = useStores();
  const accountId = useSession((s) => s.session?.accountId ?? null);
  const settings = useSession((s) => s.settings);
  const wallet = useLedger((s) => s.wallet);
  const verified = useLedger((s) => s.walletCheck === 'verified');
  const headSeq = useLedger((s) => s.headSeq);
  const syncing = useLedger((s) => s.syncing);
  const jobs = useJobs((s) => s.jobs);
  const [latestTopup, setLatestTopup] = useState<AutoTopupAttempt | null>(null);
  const [shown, setShown] = useState<Array<Notice & { id: number }>>([]);
  const nextId = useRef(0);

  // An auto top-up is decided on the server: look after each ledger move.
  useEffect(() => {
    let live = true;
    const t = setTimeout(() => {
      api
        .getAutoTopup({})
        .then((v) => live && setLatestTopup(v.recent[0] ?? null))
        .catch(() => undefined); // offline: nothing new to say
    }, 500);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [api, headSeq]);

  useEffect(() => {
    // Only a verified wallet that has caught up with a sync: an empty cache's 0 is no crossing.
    if (!accountId || !wallet || !verified || !settings || syncing) return;
    if (wallet.seq === 0 || wallet.seq < headSeq) return;
    const threshold = lowThreshold(settings.lowBalanceAlert, usualRun(Object.values(jobs)));
    const memory = loadMemory(accountId);
    const { notices, memory: next } = decideAlerts({
      available: wallet.balances.image?.available ?? 0,
      threshold,
      buckets: wallet.buckets,
      now: new Date().toISOString(),
      expiryDays: settings.expiryAlertDays,
      latestTopup,
      memory,
    });
    localStorage.setItem(memoryKey(accountId), JSON.stringify(next));
    for (const n of notices) {
      void (async () => {
        const viaMain = await api
          .notify({ title: n.title, body: n.body })
          .then((r) => r.shown)
          .catch(() => false);
        if (viaMain) return;
        if (
          api.transport === 'browser' &&
          typeof Notification !== 'undefined' &&
          Notification.permission === 'granted'
        ) {
          new Notification(n.title, { body: n.body });
          return;
        }
        setShown((s) => [...s, { ...n, id: ++nextId.current }]);
      })();
    }
  }, [api, accountId, wallet, verified, syncing, headSeq, settings, jobs, latestTopup]);

  if (shown.length === 0) return null;
  // In the page's flow under the top bar, never over the screen's own controls.
  return (
    <div className="alert-banners" role="status" aria-live="polite">
      {shown.map((n) => (
        <div key={n.id} className="banner banner-warn alert-banner" data-testid={`alert-${n.kind}`}>
          <p>
            <strong>{n.title}.</strong> {n.body}
          </p>
          <button
            type="button"
            className="secondary small-button"
            onClick={() => setShown((s) => s.filter((x) => x.id !== n.id))}
          >
            Dismiss
          </button>
        </div>
      ))}
    </div>
  );
}
