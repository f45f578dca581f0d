import { useEffect, useState } from 'react';
import { Nav } from '../components/Nav';
import { TopBar } from '../components/TopBar';
import { VerificationBanner } from '../components/VerificationBanner';
import { WelcomeBanner } from '../components/WelcomeBanner';
import { Designs } from '../screens/Designs';
import { Gallery } from '../screens/Gallery';
import { History } from '../screens/History';
import { Settings } from '../screens/Settings';
import { SignIn } from '../screens/SignIn';
import { Store } from '../screens/Store';
import { Studio } from '../screens/Studio';
import { Wallet } from '../screens/Wallet';
import { useJobs, useSession, useStores } from './context';
import { routes, type RouteId } from './routes';
import { useTheme } from './theme';
import { useDocumentTitle } from './title';

export function App() {
  const stores = useStores();
  const status = useSession((s) => s.status);
  const accountId = useSession((s) => s.session?.accountId ?? null);
  const [route, setRoute] = useState<RouteId>('studio');
  useTheme(useSession((s) => s.settings?.theme));
  const running = useJobs(
    (s) =>
      Object.values(s.jobs).filter((j) => j.state === 'queued' || j.state === 'running').length,
  );
  useDocumentTitle(
    status === 'signed-in' ? (routes.find((r) => r.id === route)?.label ?? 'Easel') : 'Sign in',
    status === 'signed-in' ? running : 0,
  );

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
    designs: <Designs onTopUp={() => setRoute('store')} onUseAsInput={() => setRoute('studio')} />,
    settings: <Settings />,
  };
  return (
    <div className="shell">
      <Nav current={route} onGo={setRoute} />
      <div className="content">
        <TopBar />
        <VerificationBanner />
        <WelcomeBanner />
        <main className="main" id="main" data-screen={route}>
          {screens[route]}
        </main>
      </div>
    </div>
  );
}
