import { useEffect, useState } from 'react';
import { useStore } from 'zustand';
import { Nav } from '../components/Nav';
import { TopBar } from '../components/TopBar';
import { VerificationBanner } from '../components/VerificationBanner';
import { Designs } from '../screens/Designs';
import { Gallery } from '../screens/Gallery';
import { History } from '../screens/History';
import { Settings } from '../screens/Settings';
import { SignIn } from '../screens/SignIn';
import { Store } from '../screens/Store';
import { Studio } from '../screens/Studio';
import { Wallet } from '../screens/Wallet';
import { useSession, useStores } from './context';
import type { RouteId } from './routes';

export function App() {
  const stores = useStores();
  const status = useSession((s) => s.status);
  const accountId = useSession((s) => s.session?.accountId ?? null);
  const open = useStore(stores.account, (s) => s.current?.accountId ?? null);

  useEffect(() => {
    if (status === 'signed-in' && accountId) void stores.startAccount(accountId);
    // Signed out (e.g. the preloaded last account): its stores close.
    else if (status === 'signed-out') stores.stop();
  }, [stores, status, accountId]);

  if (status === 'signed-out') return <SignIn />;
  // Only the signed-in account's own stores are ever rendered (docs/architecture.md §9).
  if (status === 'loading' || !accountId || open !== accountId)
    return <div className="loading-screen">Opening Easel…</div>;
  // Keyed by account: nothing on screen (route, inputs, subscriptions) outlives a switch.
  return <Shell key={accountId} />;
}

function Shell() {
  const [route, setRoute] = useState<RouteId>('studio');
  const screens: Record<RouteId, React.ReactNode> = {
    studio: <Studio onTopUp={() => setRoute('store')} />,
    gallery: <Gallery onReuse={() => setRoute('studio')} />,
    wallet: <Wallet />,
    history: <History />,
    store: <Store />,
    designs: <Designs />,
    settings: <Settings />,
  };
  return (
    <div className="shell">
      <Nav current={route} onGo={setRoute} />
      <div className="content">
        <TopBar />
        <VerificationBanner />
        <main className="main" id="main" data-screen={route}>
          {screens[route]}
        </main>
      </div>
    </div>
  );
}
