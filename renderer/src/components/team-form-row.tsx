import type { ReactNode } from 'react';

/**
 * One line of Settings → Teams (docs/architecture.md §14): a text field, what goes beside it,
 * a button that submits, and a hint after. Enter submits; the button waits for some text.
 */
export function TeamFormRow(props: {
  /** The field's accessible name. */
  label: string;
  placeholder: string;
  value: string;
  onChange: (value: string) => void;
  submitLabel: string;
  onSubmit: () => void;
  type?: 'text' | 'email';
  /** The main action of its area (filled button) rather than a secondary one. */
  primary?: boolean;
  /** Allows submitting an empty field (a budget cleared to none). */
  allowEmpty?: boolean;
  invalid?: boolean;
  numeric?: boolean;
  /** Beside the field, before the button (e.g. a role menu). */
  beside?: ReactNode;
  /** After the button (a hint or the field's error). */
  after?: ReactNode;
}) {
  return (
    <form
      className="row team-form-row"
      onSubmit={(e) => {
        e.preventDefault();
        props.onSubmit();
      }}
    >
      <input
        type={props.type ?? 'text'}
        aria-label={props.label}
        placeholder={props.placeholder}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        {...(props.numeric ? { inputMode: 'numeric' as const, size: 8 } : {})}
        {...(props.invalid === undefined ? {} : { 'aria-invalid': props.invalid })}
      />
      {props.beside}
      <button
        type="submit"
        className={props.primary ? undefined : 'secondary'}
        disabled={!props.allowEmpty && props.value.trim() === ''}
      >
        {props.submitLabel}
      </button>
      {props.after}
    </form>
  );
}
