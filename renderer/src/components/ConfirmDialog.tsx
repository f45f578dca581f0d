import { useEffect, useId, useRef, type ReactNode } from 'react';

/**
 * A modal question (native <dialog>: focus is trapped, Esc cancels). Focus starts on Cancel,
 * so a stray Enter never spends credits. Without `onConfirm` it is a notice with one button.
 */
export function ConfirmDialog(props: {
  title: string;
  children: ReactNode;
  confirmLabel?: string;
  /** The cancelling button's words (default Cancel). */
  cancelLabel?: string;
  busy?: boolean;
  onConfirm?: () => void;
  onCancel: () => void;
  testId?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    // jsdom has no showModal; the open attribute shows it there.
    if (typeof d.showModal === 'function') {
      if (!d.open) d.showModal();
    } else d.setAttribute('open', '');
    cancelRef.current?.focus();
    return () => {
      if (typeof d.close === 'function') d.close();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={titleId}
      data-testid={props.testId}
      onCancel={(e) => {
        e.preventDefault();
        props.onCancel();
      }}
    >
      <h2 id={titleId}>{props.title}</h2>
      {props.children}
      <div className="row dialog-actions">
        <button ref={cancelRef} type="button" className="secondary" onClick={props.onCancel}>
          {props.cancelLabel ?? 'Cancel'}
        </button>
        {props.onConfirm && (
          <button type="button" className="primary" disabled={props.busy} onClick={props.onConfirm}>
            {props.confirmLabel}
          </button>
        )}
      </div>
    </dialog>
  );
}
