import { createStore, type StoreApi } from 'zustand/vanilla';
import type { EaselApi } from '../../../shared/ipc/contract';
import type { SessionInfo, Settings, SignUpOffer } from '../../../shared/ipc/types';
import { errorSentence } from '../util/errors';

export interface SessionState {
  status: 'loading' | 'signed-out' | 'signed-in';
  session: SessionInfo | null;
  settings: Settings | null;
  error: string | null;
  busy: boolean;
  /** What sign-up grants, as the server says; null until known (or offline). */
  offer: SignUpOffer | null;
  /** Set by a successful sign-up until the welcome is dismissed. */
  welcome: boolean;
  load(): Promise<void>;
  loadOffer(): Promise<void>;
  dismissWelcome(): void;
  signIn(email: string, password: string, create: boolean): Promise<void>;
  signOut(): Promise<void>;
  updateSettings(patch: Partial<Settings>): Promise<void>;
}

export type SessionStore = StoreApi<SessionState>;

export function createSessionStore(api: EaselApi): SessionStore {
  return createStore<SessionState>()((set, get) => {
    const apply = (session: SessionInfo): void =>
      set({ session, status: session.signedIn ? 'signed-in' : 'signed-out' });
    return {
      status: 'loading',
      session: null,
      settings: null,
      error: null,
      busy: false,
      offer: null,
      welcome: false,

      async load() {
        try {
          const [session, settings] = await Promise.all([api.getSession({}), api.getSettings({})]);
          set({ settings });
          apply(session);
        } catch (error) {
          set({ status: 'signed-out', error: errorSentence(error) });
        }
      },

      async loadOffer() {
        // Offline: the form promises nothing rather than a number it cannot check.
        const offer = await api.getSignUpOffer({}).catch(() => null);
        if (offer) set({ offer });
      },

      dismissWelcome() {
        set({ welcome: false });
      },

      async signIn(email, password, create) {
        set({ busy: true, error: null });
        try {
          const session = await (create ? api.signUp : api.signIn)({ email, password });
          // Main now remembers a returning user: the form opens on "Sign in" after sign-out.
          const settings = await api.getSettings({}).catch(() => get().settings);
          set({ settings, welcome: create && session.signedIn });
          apply(session);
        } catch (error) {
          set({ error: errorSentence(error) });
        } finally {
          set({ busy: false });
        }
      },

      async signOut() {
        apply(await api.signOut({}));
        set({ welcome: false });
      },

      async updateSettings(patch) {
        // Shown at once (a theme switch must not wait for main); put back if main refuses.
        const before = get().settings;
        set({ error: null, settings: before ? { ...before, ...patch } : before });
        try {
          set({ settings: await api.updateSettings(patch) });
        } catch (error) {
          set({ error: errorSentence(error), settings: before });
        }
      },
    };
  });
}
