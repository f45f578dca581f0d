import { createStore, type StoreApi } from 'zustand/vanilla';
import type { EaselApi } from '../../../shared/ipc/contract';
import type { SessionInfo, Settings } from '../../../shared/ipc/types';
import { messageOf } from '../util/errors';

export interface SessionState {
  status: 'loading' | 'signed-out' | 'signed-in';
  session: SessionInfo | null;
  settings: Settings | null;
  error: string | null;
  busy: boolean;
  load(): Promise<void>;
  signIn(email: string, password: string, create: boolean): Promise<void>;
  signOut(): Promise<void>;
  updateSettings(patch: Partial<Settings>): Promise<void>;
}

export type SessionStore = StoreApi<SessionState>;

export function createSessionStore(api: EaselApi): SessionStore {
  return createStore<SessionState>()((set) => {
    const apply = (session: SessionInfo): void =>
      set({ session, status: session.signedIn ? 'signed-in' : 'signed-out' });
    return {
      status: 'loading',
      session: null,
      settings: null,
      error: null,
      busy: false,

      async load() {
        try {
          const [session, settings] = await Promise.all([api.getSession({}), api.getSettings({})]);
          set({ settings });
          apply(session);
        } catch (error) {
          set({ status: 'signed-out', error: messageOf(error) });
        }
      },

      async signIn(email, password, create) {
        set({ busy: true, error: null });
        try {
          apply(await (create ? api.signUp : api.signIn)({ email, password }));
        } catch (error) {
          set({ error: messageOf(error) });
        } finally {
          set({ busy: false });
        }
      },

      async signOut() {
        apply(await api.signOut({}));
      },

      async updateSettings(patch) {
        set({ error: null });
        try {
          set({ settings: await api.updateSettings(patch) });
        } catch (error) {
          set({ error: messageOf(error) });
        }
      },
    };
  });
}
