/** A message fit to show a person, from anything thrown across the bridge. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && 'message' in error) {
    const m = (error as { message: unknown }).message;
    if (typeof m === 'string') return m;
  }
  return String(error);
}

function codeOf(error: unknown): string | null {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const c = (error as { code: unknown }).code;
    if (typeof c === 'string') return c;
  }
  return null;
}

/** Errors that mean "the server is not reachable", not "the request is wrong". */
export const isOfflineError = (error: unknown): boolean => {
  const code = codeOf(error);
  return code === 'offline' || code === 'network' || code === 'unreachable' || code === 'timeout';
};

/**
 * Text as a sentence: a capital first letter and a closing full stop. Main and the server write
 * lower-case fragments ("wrong email or password"); people read sentences.
 */
export function sentence(text: string): string {
  const t = text.trim();
  if (!t) return t;
  const first = t.charAt(0).toLocaleUpperCase() + t.slice(1);
  return /[.!?…]$/.test(first) ? first : `${first}.`;
}

/** An error, as a sentence fit to show a person. */
export const errorSentence = (error: unknown): string => sentence(messageOf(error));
