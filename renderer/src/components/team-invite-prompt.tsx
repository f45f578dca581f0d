import { useEffect, useState } from 'react';
import type { InvitePreview } from '../../../shared/api/teams';
import type { EaselApi } from '../../../shared/ipc/contract';
import { useSession, useStores } from '../app/context';
import { useTeams } from '../stores/team-store';
import { ConfirmDialog } from './ConfirmDialog';
import { date } from '../util/format';
import { errorSentence } from '../util/errors';

/**
 * The `easel://team-invite` link main holds for an answer (docs/architecture.md §14): read once
 * on mount, then as main announces new ones.
 */
function usePendingInvite(api: EaselApi): string | null {
  const [token, setToken] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    const off = api.on('teamInviteLink', (p) => setToken(p.token));
    api
      .pendingTeamInvite({})
      .then((p) => live && setToken(p.token))
      .catch(() => undefined);
    return () => {
      live = false;
      off();
    };
  }, [api]);
  return token;
}

const roleWords = (role: InvitePreview['role']): string =>
  role === 'admin' ? 'an admin' : role === 'owner' ? 'an owner' : 'a member';

/** Why this account cannot take the invite, as a sentence; null when it can. */
export function refusal(p: InvitePreview, myEmail: string | null): string | null {
  switch (p.state) {
    case 'open':
      return null;
    case 'member':
      return `You are already a member of ${p.teamName}.`;
    case 'used':
      return 'This invite has already been used. Ask the team for a new one.';
    case 'expired':
      return `This invite expired on ${date(p.expiresAt)}. Ask the team for a new one.`;
    case 'other-email':
      return `This invite is for ${p.email}${myEmail ? `, and you are signed in as ${myEmail}` : ''}. Sign out and sign in with ${p.email} to join.`;
  }
}

type Step =
  | { kind: 'loading' }
  | { kind: 'ask'; preview: InvitePreview }
  /** `signOut`: the invite is for another address, whose account may take it after sign-in. */
  | { kind: 'cannot'; title: string; text: string; signOut: boolean };

/**
 * "Join team X?" when an invite link reached the app and someone is signed in
 * (docs/architecture.md §14). Joining is only ever the user's answer; a link that cannot be
 * taken (used, expired, another address) says why in a sentence. Closing it dismisses the link.
 */
export function TeamInvitePrompt() {
  const stores = useStores();
  const { api } = stores;
  const token = usePendingInvite(api);
  const myEmail = useSession((s) => s.session?.email ?? null);
  const [step, setStep] = useState<Step>({ kind: 'loading' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Joining clears the link in main, so the welcome outlives it.
  const [joined, setJoined] = useState<string | null>(null);
  useEffect(() => {
    if (!token) return;
    let live = true;
    setStep({ kind: 'loading' });
    setError(null);
    api
      .previewTeamInvite({ token })
      .then((preview) => {
        if (!live) return;
        const why = refusal(preview, myEmail);
        setStep(
          why === null
            ? { kind: 'ask', preview }
            : {
                kind: 'cannot',
                title: `You can't join ${preview.teamName}`,
                text: why,
                signOut: preview.state === 'other-email',
              },
        );
      })
      .catch((e: unknown) => {
        if (!live) return;
        const notFound =
          typeof e === 'object' && e !== null && 'code' in e && e.code === 'not-found';
        setStep({
          kind: 'cannot',
          signOut: false,
          title: 'This invite link does not work',
          text: notFound
            ? 'No invite has this link. Check that you copied all of it, or ask the team for a new one.'
            : errorSentence(e),
        });
      });
    return () => {
      live = false;
    };
  }, [api, token, myEmail]);
  if (joined !== null)
    return (
      <ConfirmDialog
        testId="team-invite-prompt"
        title={`You joined ${joined}`}
        cancelLabel="Done"
        onCancel={() => setJoined(null)}
      >
        <p>Choose its wallet in the top bar to see its balance and history.</p>
      </ConfirmDialog>
    );
  if (!token || step.kind === 'loading') return null;
  const close = () => void api.dismissTeamInvite({}).catch(() => undefined);
  const join = async () => {
    setBusy(true);
    setError(null);
    try {
      const team = await api.acceptTeamInvite({ token });
      await useTeams.getState().refresh(api);
      setJoined(team.name);
    } catch (e) {
      setError(errorSentence(e));
    } finally {
      setBusy(false);
    }
  };
  if (step.kind === 'ask')
    return (
      <ConfirmDialog
        testId="team-invite-prompt"
        title={`Join team ${step.preview.teamName}?`}
        cancelLabel="Not now"
        onCancel={close}
        confirmLabel={busy ? 'Joining…' : 'Join team'}
        busy={busy}
        onConfirm={() => void join()}
      >
        <p>
          You were invited as {roleWords(step.preview.role)} ({step.preview.email}). Members run
          images on the team's wallet, within the budgets its owners set.
        </p>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
      </ConfirmDialog>
    );
  return (
    <ConfirmDialog
      testId="team-invite-prompt"
      title={step.title}
      cancelLabel="Close"
      onCancel={close}
      // Signing out keeps the link: the sign-in screen says an invite waits, and the invited
      // address's account is asked.
      {...(step.signOut
        ? { confirmLabel: 'Sign out', onConfirm: () => void stores.signOut() }
        : {})}
    >
      <p role="alert">{step.text}</p>
    </ConfirmDialog>
  );
}

/** On the sign-in screen: an invite link is waiting, and what to do about it. */
export function InviteWaitingNote() {
  const { api } = useStores();
  const token = usePendingInvite(api);
  if (!token) return null;
  return (
    <p className="hint" role="status" data-testid="invite-waiting">
      You opened a team invite. Sign in (or create an account) with the invited e-mail address, and
      Easel will offer to join.
    </p>
  );
}
