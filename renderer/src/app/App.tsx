import { useEffect, useState } from 'react';
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
  const [route, setRoute] = useState<RouteId>('studio');

  useEffect(() => {
    if (status === 'signed-in' && accountId) void stores.startAccount(accountId);
  }, [stores, status, accountId]);

  if (status === 'loading') return <div className="loading-screen">Opening Easel…</div>;
  if (status === 'signed-out') return <SignIn />;
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
