import type { Quote } from '../../../shared/pricing/request';
import { useLedger } from '../app/context';
import { KIND, shownBalance, spendable } from '../app/balance';
import { credits } from '../util/format';
import { CostLine } from './CostLine';

/** The main button of a tool, with its cost line; when credits are short it offers a top-up. */
export function RunButton(props: {
  label: string;
  quote: Quote | null;
  error: string | null;
  busy: boolean;
  disabledReason?: string | null;
  onRun: () => void;
  onTopUp: () => void;
}) {
  const wallet = useLedger((s) => s.wallet);
  const allowance = useLedger((s) => s.allowance);
  const balance = shownBalance(wallet, allowance, KIND);
  // A stored snapshot not yet checked against the verified chain never decides this (§3).
  const checking = useLedger((s) => s.walletCheck === 'checking');
  const available = spendable(wallet, KIND);
  const short = !checking && props.quote !== null && props.quote.credits > available;
  const disabledReason = checking
    ? 'Checking your credits against the verified history…'
    : props.disabledReason;
  return (
    <div className="run">
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
        <button
          type="button"
          className="primary"
          disabled={props.busy || !props.quote || Boolean(disabledReason)}
          onClick={props.onRun}
        >
          {props.busy ? 'Starting…' : props.label}
        </button>
      )}
      {disabledReason && <p className="hint">{disabledReason}</p>}
      <CostLine quote={props.quote} error={props.error} balance={balance} available={available} />
    </div>
  );
}
