import { useEffect, useRef } from 'react';
import type { Quote } from '../../../shared/pricing/request';
import { useCatalog, useJobs, useLedger, useStores } from '../app/context';
import { KIND, shownBalance, spendable } from '../app/balance';
import { credits } from '../util/format';
import { CostLine } from './CostLine';
import { TeamRunBar, useTeamRunLimits } from './TeamRunBar';

const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);
export const RUN_KEYS = isMac ? '⌘ Enter' : 'Ctrl+Enter';

/**
 * The main button of a tool, with its cost line; when credits are short it offers a top-up.
 * While it can run, Ctrl/Cmd+Enter anywhere in the Studio runs it.
 */
export function RunButton(props: {
  label: string;
  quote: Quote | null;
  error: string | null;
  busy: boolean;
  disabledReason?: string | null;
  /** Why there is no price yet (shown in place of the cost line). */
  waiting?: string | null;
  onRun: () => void;
  onTopUp: () => void;
}) {
  const { studio } = useStores();
  const wallet = useLedger((s) => s.wallet);
  const allowance = useLedger((s) => s.allowance);
  const hasBook = useCatalog((s) => s.priceBook !== null);
  const runError = useJobs((s) => s.error);
  // With a team wallet chosen in the top bar, the team's verified wallet pays (§14).
  const team = useTeamRunLimits();
  const balance = team ? team.balance : shownBalance(wallet, allowance, KIND);
  // A stored snapshot not yet checked against the verified chain never decides this (§3).
  const personalCheck = useLedger((s) => s.walletCheck === 'checking');
  const checking = team ? team.available === null : personalCheck;
  const available = team ? (team.available ?? 0) : spendable(wallet, KIND);
  const short = !checking && props.quote !== null && props.quote.credits > available;
  const overBudget =
    team !== null &&
    team.budgetLeft !== null &&
    props.quote !== null &&
    props.quote.credits > team.budgetLeft;
  const disabledReason = checking
    ? team
      ? `Reading the ${team.teamName} team wallet…`
      : 'Checking your credits against the verified history…'
    : overBudget
      ? `This run costs ${credits(props.quote?.credits ?? 0)} credits; the team budget has ${credits(team?.budgetLeft ?? 0)} left this month. Choose another project or ask an owner to raise it.`
      : props.disabledReason;
  const canRun = !short && !props.busy && props.quote !== null && !disabledReason;
  const onRun = useRef(props.onRun);
  onRun.current = props.onRun;
  useEffect(() => {
    studio.getState().setRunner(canRun ? () => onRun.current() : null);
    return () => studio.getState().setRunner(null);
  }, [studio, canRun]);
  return (
    <div className="run">
      <TeamRunBar />
      {short ? (
        <div className="run-short">
          <button type="button" className="primary" disabled>
            Not enough credits ({credits(available)} of {credits(props.quote?.credits ?? 0)})
          </button>
          <button type="button" className="secondary" onClick={props.onTopUp}>
            Top up credits
          </button>
        </div>
      ) : (
        <div className="run-main">
          <button
            type="button"
            className="primary"
            disabled={!canRun}
            onClick={props.onRun}
            aria-keyshortcuts="Control+Enter Meta+Enter"
          >
            {props.busy ? 'Starting…' : props.label}
          </button>
          {canRun && <span className="kbd-hint">{RUN_KEYS}</span>}
        </div>
      )}
      {disabledReason && (
        <p className="hint run-blocked" data-testid="run-blocked">
          {disabledReason}
        </p>
      )}
      <CostLine
        quote={props.quote}
        error={props.error}
        balance={balance}
        available={available}
        waiting={props.waiting}
        hasBook={hasBook}
      />
      {runError && (
        <p className="error" role="alert" data-testid="run-error">
          {runError}
        </p>
      )}
    </div>
  );
}
