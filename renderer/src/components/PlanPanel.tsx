import { useEffect, useState } from 'react';
import type { PlanChangeResponse, PlanStatus } from '../../../shared/api/plans';
import { useCatalog, useStores } from '../app/context';
import { errorSentence } from '../util/errors';
import { creditsText, date, dateTime, money } from '../util/format';

const NEXT_WORDS: Record<NonNullable<PlanStatus['nextGrant']>['kind'], string> = {
  renewal: 'at the renewal',
  monthly: 'free, next month',
  daily: 'free, tomorrow',
};

function outcomeText(r: PlanChangeResponse, titleOf: (id: string) => string): string {
  switch (r.outcome) {
    case 'upgraded':
      return `Upgraded to ${r.plan.title}: ${creditsText(r.creditsGranted)} added now.`;
    case 'upgrade-pending':
      return `Upgrade to ${r.plan.title} sent: the credits arrive once the payment is confirmed.`;
    case 'downgrade-scheduled':
      return `${titleOf(r.plan.pendingPlanId ?? '')} starts at the renewal; ${r.plan.title} stays until then.`;
    case 'downgrade-undone':
      return `You stay on ${r.plan.title}.`;
    case 'cancel-scheduled':
      return `${r.plan.title} ends ${r.plan.renewsAt ? `on ${date(r.plan.renewsAt)}` : 'at the end of the period'}. Credits you have stay until they expire.`;
    case 'resumed':
      return `${r.plan.title} renews again.`;
  }
}

/**
 * The account's plan (docs/architecture.md §7, plan self-service): renewal, credits per
 * period, rollover and the next grant. In the Store (`actions`) it also upgrades, downgrades,
 * cancels, resumes and opens Stripe's customer portal; the Wallet and Settings show it only.
 */
export function PlanPanel(props: { actions?: boolean }) {
  const stores = useStores();
  const offered = useCatalog((s) => s.store?.plans ?? []);
  const [plan, setPlan] = useState<PlanStatus | null>(null);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    stores.api
      .getPlan({})
      .then((p) => live && setPlan(p))
      .catch(() => live && setError('Your plan shows here when the server can be reached.'));
    return () => {
      live = false;
    };
  }, [stores]);

  const titleOf = (id: string) => offered.find((p) => p.itemId === id)?.title ?? id;
  const act = async (run: () => Promise<PlanChangeResponse>): Promise<void> => {
    setBusy(true);
    setNote(null);
    setError(null);
    try {
      const r = await run();
      setPlan(r.plan);
      setNote(outcomeText(r, titleOf));
      void stores.ledger.getState().sync();
      void stores.catalog.getState().refresh();
    } catch (e) {
      setError(errorSentence(e));
    } finally {
      setBusy(false);
    }
  };
  const portal = async (): Promise<void> => {
    try {
      const r = await stores.api.openPlanPortal({});
      if (!r.opened) window.open(r.url, '_blank', 'noopener');
    } catch (e) {
      setError(errorSentence(e));
    }
  };

  const paid = plan !== null && plan.renewsAt !== null;
  const choices = plan ? offered.filter((p) => p.priceCents > 0 && p.itemId !== plan.planId) : [];
  return (
    <section className="panel" aria-labelledby="plan-title" data-testid="plan-panel">
      <h2 id="plan-title">Your plan</h2>
      {!plan ? (
        <p className="muted">{error ?? 'Loading…'}</p>
      ) : (
        <>
          <p className="big" data-testid="plan-name">
            {plan.title}
            {plan.priceCents > 0 && (
              <span className="muted"> · {money(plan.priceCents, plan.currency)} / month</span>
            )}
          </p>
          <dl className="facts">
            <dt>Credits</dt>
            <dd data-testid="plan-credits">
              {[
                plan.creditsPerPeriod > 0 && `${creditsText(plan.creditsPerPeriod)} each month`,
                plan.dailyCredits > 0 && `${creditsText(plan.dailyCredits)} each day`,
              ]
                .filter(Boolean)
                .join(' + ') || 'None included'}
            </dd>
            {plan.rolloverCap > 0 && (
              <>
                <dt>Rollover</dt>
                <dd>Up to {creditsText(plan.rolloverCap)} unused roll over at each renewal</dd>
              </>
            )}
            {plan.renewsAt && (
              <>
                <dt>{plan.cancelAtPeriodEnd ? 'Ends' : 'Renews'}</dt>
                <dd data-testid="plan-renews-at">{date(plan.renewsAt)}</dd>
              </>
            )}
            {plan.pendingPlanId && (
              <>
                <dt>Then</dt>
                <dd data-testid="plan-pending">{titleOf(plan.pendingPlanId)} from the renewal</dd>
              </>
            )}
            <dt>Next credits</dt>
            <dd data-testid="plan-next-grant">
              {plan.nextGrant
                ? `${creditsText(plan.nextGrant.credits)} ${NEXT_WORDS[plan.nextGrant.kind]} (${dateTime(plan.nextGrant.at)})`
                : 'None: the plan ends'}
            </dd>
          </dl>
          {props.actions && paid && (
            <div className="row wrap">
              {choices.map((p) => {
                const up = p.priceCents > plan.priceCents;
                const keep = plan.pendingPlanId !== null && p.itemId === plan.pendingPlanId;
                return (
                  !keep && (
                    <button
                      key={p.itemId}
                      type="button"
                      className={up ? 'primary' : 'secondary'}
                      disabled={busy}
                      onClick={() => void act(() => stores.api.changePlan({ itemId: p.itemId }))}
                    >
                      {up ? 'Upgrade' : 'Downgrade'} to {p.title}
                    </button>
                  )
                );
              })}
              {plan.pendingPlanId && (
                <button
                  type="button"
                  className="secondary"
                  disabled={busy}
                  onClick={() => void act(() => stores.api.changePlan({ itemId: plan.planId }))}
                >
                  Keep {plan.title}
                </button>
              )}
              {plan.cancelAtPeriodEnd ? (
                <button
                  type="button"
                  className="secondary"
                  disabled={busy}
                  onClick={() => void act(() => stores.api.resumePlan({}))}
                >
                  Resume {plan.title}
                </button>
              ) : (
                <button
                  type="button"
                  className="secondary"
                  disabled={busy}
                  onClick={() => void act(() => stores.api.cancelPlan({}))}
                >
                  Cancel at period end
                </button>
              )}
              {plan.portal && (
                <button type="button" className="secondary" onClick={() => void portal()}>
                  Billing portal
                </button>
              )}
            </div>
          )}
          {props.actions && paid && (
            <p className="muted">
              An upgrade is charged now for the rest of the month and adds the difference in credits
              at once; a downgrade starts at the renewal.
            </p>
          )}
          {note && (
            <p className="banner banner-info" role="status">
              {note}
            </p>
          )}
          {error && (
            <p className="banner banner-alert" role="alert">
              {error}
            </p>
          )}
        </>
      )}
    </section>
  );
}
