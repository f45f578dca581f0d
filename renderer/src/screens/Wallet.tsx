import { useLedger } from '../app/context';
import { ExpiryChart } from '../components/ExpiryChart';
import { SpendChart } from '../components/SpendChart';
import { credits, dateTime } from '../util/format';

const SOON_MS = 7 * 86_400_000;

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
  const buckets = [...wallet.buckets].sort((a, b) =>
    (a.expiresAt ?? '9').localeCompare(b.expiresAt ?? '9'),
  );
  const soon = buckets.filter(
    (b) => b.live && b.expiresAt && Date.parse(b.expiresAt) - now < SOON_MS,
  );
  return (
    <div className="screen">
      <h1>Wallet</h1>
      <section className="kpis" aria-label="Balance per credit kind">
        {Object.entries(wallet.balances).map(([kind, b]) => (
          <div className="kpi" key={kind}>
            <span className="kpi-label">{kind} credits</span>
            <strong className="kpi-value" data-testid={`wallet-balance-${kind}`}>
              {credits(b.balance)}
            </strong>
            <span className="muted">
              {credits(b.available)} available · {credits(b.held)} held · {credits(b.reserved)}{' '}
              reserved offline
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
              of {credits(allowance.amount)}, until {dateTime(allowance.expiresAt)}
            </span>
          </div>
        )}
      </section>
      <section className="panel" aria-labelledby="soon-title">
        <h2 id="soon-title">Expiring soon</h2>
        {soon.length === 0 ? (
          <p className="muted">Nothing expires in the next 7 days.</p>
        ) : (
          <ul className="plain">
            {soon.map((b) => (
              <li key={b.bucketId}>
                <strong>{credits(b.remaining)}</strong> {b.source} credits expire{' '}
                {dateTime(b.expiresAt ?? '')}
              </li>
            ))}
          </ul>
        )}
      </section>
      <div className="charts">
        <SpendChart />
        <ExpiryChart buckets={wallet.buckets} />
      </div>
      <section className="panel" aria-labelledby="buckets-title">
        <h2 id="buckets-title">Buckets</h2>
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Source</th>
              <th scope="col">Kind</th>
              <th scope="col">Left</th>
              <th scope="col">Of</th>
              <th scope="col">Expires</th>
            </tr>
          </thead>
          <tbody>
            {buckets.map((b) => (
              <tr key={b.bucketId}>
                <td>{b.source}</td>
                <td>{b.kind}</td>
                <td>{credits(b.remaining)}</td>
                <td>{credits(b.amount)}</td>
                <td>{b.expiresAt ? dateTime(b.expiresAt) : 'never'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}
