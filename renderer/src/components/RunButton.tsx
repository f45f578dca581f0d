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
  const available = spendable(wallet, KIND);
  const short = props.quote !== null && props.quote.credits > available;
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
          disabled={props.busy || !props.quote || Boolean(props.disabledReason)}
          onClick={props.onRun}
        >
          {props.busy ? 'Starting…' : props.label}
        </button>
      )}
      {props.disabledReason && <p className="hint">{props.disabledReason}</p>}
      <CostLine quote={props.quote} error={props.error} balance={balance} available={available} />
    </div>
  );
}
