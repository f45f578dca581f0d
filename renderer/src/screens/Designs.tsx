import { useCatalog, useLedger, useStores } from '../app/context';
import { DesignCard } from '../components/DesignCard';
import { creditsText } from '../util/format';

export function Designs() {
  const { catalog } = useStores();
  const designs = useCatalog((s) => s.designs);
  const outbox = useCatalog((s) => s.outbox);
  const redeeming = useCatalog((s) => s.redeeming);
  const message = useCatalog((s) => s.message);
  const allowance = useLedger((s) => s.allowance);
  const offline = useLedger((s) => s.syncState?.status === 'offline');
  const left =
    allowance && allowance.status === 'open' ? allowance.amount - allowance.spentOffline : null;
  const pending = new Set(outbox.map((o) => o.designId));
  return (
    <div className="screen">
      <h1>Designs</h1>
      <p className="muted" data-testid="offline-left">
        {left === null
          ? 'No offline allowance: take one in Settings to redeem without a connection.'
          : `Offline allowance: ${creditsText(left)} left to spend offline.`}
      </p>
      {message && (
        <p className="banner banner-info" role="status">
          {message}
        </p>
      )}
      <ul className="cards">
        {designs.map((d) => (
          <DesignCard
            key={d.designId}
            design={d}
            busy={redeeming !== null}
            offline={offline}
            offlineLeft={left}
            pending={pending.has(d.designId)}
            onRedeem={() => void catalog.getState().redeem(d.designId)}
          />
        ))}
      </ul>
    </div>
  );
}
