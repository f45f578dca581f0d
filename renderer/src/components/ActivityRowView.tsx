import { useEffect, useState, type ReactNode } from 'react';
import type { Activity, ActivityKind } from '../db/activities';
import type { EntryRow } from '../db/db';
import { credits, creditsText, date, dateTime, time } from '../util/format';
import { useImageUrl } from './useImageUrl';

const ICONS: Record<ActivityKind, string> = {
  generate: '✦',
  filter: '◐',
  upscale: '⤢',
  cutout: '✂',
  faces: '☺',
  design: '❖',
  purchase: '$',
  renewal: '↻',
  free: '★',
  promo: '★',
  refund: '↩',
  expiry: '⌛',
  reversal: '⟲',
  allowance: '⇣',
  refused: '!',
  other: '•',
  adjustment: '✎',
  rollover: '⇥',
};

/** "+1,000 credits", "−6 credits", "6 credits pending" (a run not yet charged), "0 credits". */
function netText(a: Activity): string {
  if (a.status === 'pending') return `${creditsText(Math.abs(a.credits))} pending`;
  const sign = a.credits > 0 ? '+' : a.credits < 0 ? '−' : '';
  return `${sign}${creditsText(Math.abs(a.credits))}`;
}

/** What one ledger entry did, in words (the expanded view of an activity). */
const ENTRY_WORDS: Record<string, string> = {
  grant: 'Credits added',
  purchase: 'Purchase credited',
  spend: 'Spent',
  hold: 'Set aside for the run',
  capture: 'Charged',
  release: 'Returned, not charged',
  refund: 'Refunded',
  expire: 'Expired',
  reversal: 'Taken back',
  reserve: 'Set aside for offline use',
  settle: 'Offline spending settled',
  unreserve: 'Allowance closed',
  rejection: 'Refused',
  'adjust-expiry': 'Expiry changed',
};

function entryChange(r: EntryRow): string {
  if (r.delta > 0) return `+${creditsText(r.delta)}`;
  if (r.delta < 0) return `−${creditsText(-r.delta)}`;
  if (r.type === 'hold' || r.type === 'reserve') return `${creditsText(r.amount)} set aside`;
  if (r.type === 'release' || r.type === 'unreserve') return `${creditsText(r.amount)} returned`;
  return creditsText(0);
}

function Thumb(props: { activity: Activity; sha256: string | null }) {
  const url = useImageUrl(props.sha256);
  if (url) return <img src={url} alt="" className="activity-thumb" />;
  return (
    <span className={`activity-icon icon-${props.activity.kind}`} aria-hidden="true">
      {ICONS[props.activity.kind]}
    </span>
  );
}

export function ActivityRowView(props: {
  activity: Activity | undefined;
  /** The activity's picture: a run's first image, a refund's disliked image, when there is one. */
  sha256: string | null;
  expanded: boolean;
  onToggle: () => void;
  loadEntries: (a: Activity) => Promise<EntryRow[]>;
  verifiedThrough: number;
  /** Cells shown instead of "Balance after" (a team's History: member, project). */
  middle?: ReactNode;
  /** The expanded view, when the caller has it (a team's wallet rows) instead of stored entries. */
  entries?: ReactNode;
}) {
  const a = props.activity;
  const [entries, setEntries] = useState<EntryRow[] | null>(null);
  const { expanded, loadEntries } = props;
  useEffect(() => {
    if (!expanded || !a || a.seqs.length === 0 || props.entries !== undefined) return;
    let live = true;
    void loadEntries(a).then((rows) => live && setEntries(rows));
    return () => {
      live = false;
    };
  }, [expanded, a, loadEntries, props.entries]);
  if (!a)
    return (
      <div role="cell" className="cell loading">
        Loading…
      </div>
    );
  const tone = a.credits > 0 ? 'plus' : a.credits < 0 && a.status !== 'pending' ? 'minus' : '';
  return (
    <>
      <div role="cell" className="cell pic">
        <Thumb activity={a} sha256={props.sha256} />
      </div>
      <div role="cell" className="cell what">
        <button
          type="button"
          className="activity-toggle"
          aria-expanded={props.expanded}
          onClick={props.onToggle}
          title={a.title}
        >
          {a.title}
        </button>
        <span className="activity-detail" title={a.detail}>
          {a.detail}
        </span>
      </div>
      <div role="cell" className={`cell amount ${tone}`}>
        {netText(a)}
      </div>
      {props.middle ?? (
        <div role="cell" className="cell balance-after">
          {Number.isFinite(a.balanceAfter) ? credits(a.balanceAfter) : '—'}
        </div>
      )}
      <div role="cell" className="cell when" title={a.at ? dateTime(a.at) : undefined}>
        {a.at && (
          <>
            <span>{date(a.at)}</span>
            <span className="activity-detail">{time(a.at)}</span>
          </>
        )}
      </div>
      <div role="cell" className="cell status">
        <span className={`status-chip status-${a.status}`}>{a.status}</span>
      </div>
      {props.expanded && (
        <div role="cell" className="activity-entries" aria-label={`Ledger entries of ${a.title}`}>
          {props.entries !== undefined ? (
            props.entries
          ) : a.seqs.length === 0 ? (
            <p className="muted">Not in the ledger yet: it settles when you are back online.</p>
          ) : !entries ? (
            <p className="muted">Loading entries…</p>
          ) : (
            <ul>
              {entries.map((r) => (
                <li key={r.seq}>
                  <span className="seq">#{r.seq}</span>
                  <span>{ENTRY_WORDS[r.type] ?? r.type}</span>
                  <span>{entryChange(r)}</span>
                  <span className="hash" title={r.hash}>
                    {r.hash.slice(0, 16)}…
                  </span>
                  <span className={r.seq <= props.verifiedThrough ? 'verified' : 'unverified'}>
                    {r.seq <= props.verifiedThrough ? '✓ Verified' : '✗ Unverified'}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </>
  );
}
