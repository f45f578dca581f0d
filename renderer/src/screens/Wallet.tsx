import { useLedger } from '../app/context';
import { ExpiryChart } from '../components/ExpiryChart';
import { MonthBreakdown } from '../components/MonthBreakdown';
import { PlanPanel } from '../components/PlanPanel';
import { SpendChart } from '../components/SpendChart';
import { upcomingCredits } from '../components/upcoming-credits';
import { SOURCE_WORDS, explainBalance, expiringWithin } from '../components/wallet-words';
import { credits, creditsText, dateTime } from '../util/format';
import '../styles/wallet.css';

const SOON_DAYS = 7;
const KIND_WORDS: Record<string, string> = { image: 'Image credits' };

export function Wallet() {
  const wallet = useLedger((s) => s.wallet);
  const allowance = useLedger((s) => s.allowance);
  if (!wallet)
    return (
      <div className="screen">
        <h1>Wallet</h1>
        <p className="muted">Loading…</p>
      </div>
    );
  const now = Date.now();
  const buckets = [...wallet.buckets]
    .filter((b) => b.live && b.remaining > 0)
    .sort((a, b) => (a.expiresAt ?? '9').localeCompare(b.expiresAt ?? '9'));
  const soon = expiringWithin(buckets, now, SOON_DAYS * 86_400_000);
  const explained = [
    ...explainBalance(wallet.buckets, now),
    ...upcomingCredits(wallet.buckets, now),
  ];
  return (
    <div className="screen wallet">
      <h1>Wallet</h1>
      <section className="kpis" aria-label="Balance per credit kind">
        {Object.entries(wallet.balances).map(([kind, b]) => (
          <div className="kpi" key={kind}>
            <span className="kpi-label">{KIND_WORDS[kind] ?? `${kind} credits`}</span>
            <strong className="kpi-value" data-testid={`wallet-balance-${kind}`}>
              {credits(b.balance)}
            </strong>
            <span className="muted">
              {credits(b.available)} ready to use
              {b.held > 0 && ` · ${credits(b.held)} pending for runs in progress`}
              {b.reserved > 0 && ` · ${credits(b.reserved)} set aside for offline use`}
              {b.debt > 0 && ` · ${credits(b.debt)} owed`}
            </span>
          </div>
        ))}
        {allowance && (
          <div className="kpi">
            <span className="kpi-label">Offline allowance</span>
            <strong className="kpi-value">
              {credits(allowance.amount - allowance.spentOffline)}
            </strong>
            <span className="muted">
              left of {credits(allowance.amount)}, usable until {dateTime(allowance.expiresAt)}
            </span>
          </div>
        )}
      </section>
      <PlanPanel />
      <section className="panel" aria-labelledby="explain-title">
        <h2 id="explain-title">Your balance, explained</h2>
        {explained.length === 0 ? (
          <p className="muted">You have no credits right now.</p>
        ) : (
          <ul className="plain explained" data-testid="balance-explained">
            {explained.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        )}
      </section>
      <section className="panel" aria-labelledby="soon-title">
        <h2 id="soon-title">Expiring in the next {SOON_DAYS} days</h2>
        {soon.length === 0 ? (
          <p className="muted">Nothing expires in the next {SOON_DAYS} days.</p>
        ) : (
          <ul className="plain" data-testid="expiring-soon">
            {soon.map((b) => (
              <li key={b.bucketId}>
                <strong>{creditsText(b.remaining - b.held)}</strong> of your{' '}
                {(SOURCE_WORDS[b.source] ?? 'credits').toLowerCase()} expire{' '}
                {dateTime(b.expiresAt ?? '')}
              </li>
            ))}
          </ul>
        )}
      </section>
      <MonthBreakdown />
      <div className="charts">
        <SpendChart />
        <ExpiryChart buckets={wallet.buckets} />
      </div>
      <section className="panel" aria-labelledby="buckets-title">
        <h2 id="buckets-title">Where your credits are</h2>
        {buckets.length === 0 ? (
          <p className="muted">No credits left in any bucket.</p>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Credits</th>
                <th scope="col">Left</th>
                <th scope="col">Received</th>
                <th scope="col">Expire</th>
              </tr>
            </thead>
            <tbody>
              {buckets.map((b) => (
                <tr key={b.bucketId}>
                  <td>{SOURCE_WORDS[b.source] ?? 'Other credits'}</td>
                  <td>{credits(b.remaining)}</td>
                  <td>{credits(b.amount)}</td>
                  <td>{b.expiresAt ? dateTime(b.expiresAt) : 'Never'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}
