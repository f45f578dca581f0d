import type { StoreCatalog } from '../../../shared/ipc/types';
import { credits, date, money } from '../util/format';

type Plan = StoreCatalog['plans'][number];

/** A plan in the Store; the account's own plan is marked, with its renewal date. */
export function PlanCard(props: {
  plan: Plan;
  /** Set when this is the account's plan. */
  current: { renewsAt: string | null } | null;
  busy: boolean;
  onBuy: () => void;
  /** The account has a paid plan: another is reached by changing plan, not subscribing. */
  subscribed?: boolean;
}) {
  const { plan: p, current } = props;
  return (
    <li className={current ? 'card plan current' : 'card plan'} data-testid={`plan-${p.itemId}`}>
      <div className="card-body">
        <p className="card-title">
          {p.title}
          {current && <span className="tag">Your plan</span>}
        </p>
        {p.priceCents === 0 ? (
          <>
            {p.monthlyCredits > 0 && (
              <>
                <p className="big">{credits(p.monthlyCredits)} credits / month</p>
                <p className="muted">
                  Free, in each month you use Easel; each month&apos;s last {p.expiresInDays} days.
                </p>
              </>
            )}
            {(p.dailyCredits > 0 || p.monthlyCredits === 0) && (
              <>
                <p className="big">{credits(p.dailyCredits)} credits / day</p>
                <p className="muted">
                  Free, on every day you use Easel; they expire at midnight UTC.
                </p>
              </>
            )}
            <p className="muted">Included with every account.</p>
          </>
        ) : (
          <>
            <p className="big">{credits(p.monthlyCredits)} credits / month</p>
            {p.dailyCredits > 0 && (
              <p className="muted">+{credits(p.dailyCredits)} daily credits</p>
            )}
            <p className="muted">Each month&apos;s credits last {p.expiresInDays} days.</p>
            {p.rolloverCap > 0 && (
              <p className="muted">Up to {credits(p.rolloverCap)} unused roll over at renewal.</p>
            )}
            {current ? (
              <p className="owned" data-testid="plan-renews">
                {current.renewsAt
                  ? `Renews on ${date(current.renewsAt)} for ${money(p.priceCents, p.currency)}.`
                  : 'Active.'}
              </p>
            ) : props.subscribed ? (
              <p className="muted">Switch to it under Your plan.</p>
            ) : (
              <button type="button" className="primary" disabled={props.busy} onClick={props.onBuy}>
                Subscribe for {money(p.priceCents, p.currency)} / month
              </button>
            )}
          </>
        )}
      </div>
    </li>
  );
}
