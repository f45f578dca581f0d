import { type ReactNode, useEffect, useState } from 'react';
import { errorSentence } from '../util/errors';

/**
 * The pieces every Settings form shares (Alerts, Auto top-up, Spending limits): a number typed
 * as text (so a half-typed value is never rewritten under the cursor), the form's error and
 * saved note, and the server's view of the settings read again when the ledger moves.
 */
export function NumberField({
  label,
  value,
  onChange,
  placeholder,
  decimal = false,
}: {
  label: string;
  value: string;
  onChange: (text: string) => void;
  placeholder?: string;
  decimal?: boolean;
}) {
  return (
    <label className="field">
      {label}
      <input
        type="text"
        inputMode={decimal ? 'decimal' : 'numeric'}
        placeholder={placeholder}
        value={value}
        onChange={(e) => onChange(e.target.value)}
      />
    </label>
  );
}

/** A form's submit: the default navigation prevented, the async save started. */
export const submitWith =
  (save: () => Promise<void>) =>
  (e: { preventDefault: () => void }): void => {
    e.preventDefault();
    void save();
  };

/** What a save said: an error (announced at once) or a note. */
export function FormMessages({ error, note }: { error: string | null; note: string | null }) {
  return (
    <>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {note && <p role="status">{note}</p>}
    </>
  );
}

/** A form's error and note, both cleared when a new save starts. */
export function useFormMessages() {
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  return {
    note,
    error,
    setNote,
    setError,
    clear: (): void => {
      setNote(null);
      setError(null);
    },
  };
}

/**
 * The server's view, read when `version` changes (the ledger head: what is used moves with every
 * write). A failed read is reported through `onError`; an answer after unmount is dropped.
 * `onFirst` runs once, with the first view, to fill the form's fields.
 */
export function useServerView<V>(
  read: () => Promise<V>,
  version: unknown,
  onError: (sentence: string) => void,
  onFirst: (view: V) => void,
): [V | null, (view: V) => void] {
  const [view, setView] = useState<V | null>(null);
  const [filled, setFilled] = useState(false);
  useEffect(() => {
    let live = true;
    read()
      .then((v) => live && setView(v))
      .catch((e: unknown) => live && onError(errorSentence(e)));
    return () => {
      live = false;
    };
    // `read` and `onError` are new on every render; the version says when to read again.
  }, [version]);
  // The fields take the server's settings when they first arrive, not on every refresh.
  useEffect(() => {
    if (view === null || filled) return;
    onFirst(view);
    setFilled(true);
  }, [view, filled]);
  return [view, setView];
}

/** A Settings panel: its title, what it does, and its content. */
export function SettingsPanel({
  id,
  title,
  children,
  about,
}: {
  id: string;
  title: string;
  about: ReactNode;
  children: ReactNode;
}) {
  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title}</h2>
      <p className="muted">{about}</p>
      {children}
    </section>
  );
}
