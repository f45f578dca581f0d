import { useEffect, useState } from 'react';
import { Nav } from '../components/Nav';
import { Toasts } from '../components/Toasts';
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
import { useSession, useStores, useStudio } from './context';
import type { RouteId } from './routes';

export function App() {
  const stores = useStores();
  const status = useSession((s) => s.status);
  const accountId = useSession((s) => s.session?.accountId ?? null);
  const [route, setRoute] = useState<RouteId>('studio');
  const unseen = useStudio((s) => s.unseen);
  // The Studio hears which screen is shown: runs ending elsewhere get a notice and a badge.
  useEffect(() => stores.studio.getState().setScreen(route), [stores, route]);

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
      <Nav
        current={route}
        onGo={setRoute}
        badges={{
          studio: {
            count: unseen,
            label:
              unseen === 1
                ? '1 run ended while you were away'
                : `${unseen} runs ended while you were away`,
          },
        }}
      />
      <div className="content">
        <TopBar />
        <VerificationBanner />
        <main className="main" id="main" data-screen={route}>
          {screens[route]}
        </main>
      </div>
      <Toasts onShowStudio={() => setRoute('studio')} />
    </div>
  );
}
