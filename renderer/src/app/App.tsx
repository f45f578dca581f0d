import { useEffect, useState } from 'react';
import { useStore } from 'zustand';
import { Nav } from '../components/Nav';
import { TeamHistory, TeamWallet } from '../components/team-history';
import { TeamInvitePrompt } from '../components/team-invite-prompt';
import { Toasts } from '../components/Toasts';
import { Alerts } from '../components/Alerts';
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
import { useTeams } from '../stores/team-store';
import { useJobs, useSession, useStores, useStudio } from './context';
import { routes, type RouteId } from './routes';
import { useTheme } from './theme';
import { useDocumentTitle } from './title';

export function App() {
  const stores = useStores();
  const status = useSession((s) => s.status);
  const accountId = useSession((s) => s.session?.accountId ?? null);
  useTheme(useSession((s) => s.settings?.theme));
  const open = useStore(stores.account, (s) => s.current?.accountId ?? null);

  useEffect(() => {
    if (status === 'signed-in' && accountId) void stores.startAccount(accountId);
    // Signed out (e.g. the preloaded last account): its stores close.
    else if (status === 'signed-out') stores.stop();
  }, [stores, status, accountId]);

  if (status === 'signed-out') return <SignedOut />;
  // Only the signed-in account's own stores are ever rendered (docs/architecture.md §9).
  if (status === 'loading' || !accountId || open !== accountId)
    return <div className="loading-screen">Opening Easel…</div>;
  // Keyed by account: nothing on screen (route, inputs, subscriptions) outlives a switch.
  return <Shell key={accountId} />;
}

function SignedOut() {
  useDocumentTitle('Sign in', 0);
  return <SignIn />;
}

function Shell() {
  const stores = useStores();
  const [route, setRoute] = useState<RouteId>('studio');
  const running = useJobs(
    (s) =>
      Object.values(s.jobs).filter((j) => j.state === 'queued' || j.state === 'running').length,
  );
  useDocumentTitle(routes.find((r) => r.id === route)?.label ?? 'Easel', running);
  const unseen = useStudio((s) => s.unseen);
  // A team wallet chosen in the top bar: Wallet and History show it (docs/architecture.md §14).
  const team = useTeams((s) => s.selected);
  // The Studio hears which screen is shown: runs ending elsewhere get a notice and a badge.
  useEffect(() => stores.studio.getState().setScreen(route), [stores, route]);
  const screens: Record<RouteId, React.ReactNode> = {
    studio: <Studio onTopUp={() => setRoute('store')} />,
    gallery: <Gallery onReuse={() => setRoute('studio')} />,
    wallet: team ? <TeamWallet /> : <Wallet />,
    history: team ? <TeamHistory /> : <History />,
    store: <Store />,
    designs: <Designs onTopUp={() => setRoute('store')} onUseAsInput={() => setRoute('studio')} />,
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
        <WelcomeBanner />
        <Alerts />
        <main className="main" id="main" data-screen={route}>
          {screens[route]}
        </main>
      </div>
      <Toasts onShowStudio={() => setRoute('studio')} />
      <TeamInvitePrompt />
    </div>
  );
}
