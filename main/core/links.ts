export type EaselLink = { kind: 'purchase-return'; sessionId: string | null } | { kind: 'sync' };

/** Reads an `easel://` link. Anything unexpected is ignored: a link is only a hint. */
export function parseEaselLink(raw: string): EaselLink | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== 'easel:') return null;
  const where = `${url.hostname}${url.pathname}`.replace(/\/+$/, '');
  if (where === 'purchase/return' || where === 'purchase') {
    const id = url.searchParams.get('session_id') ?? url.searchParams.get('session');
    return { kind: 'purchase-return', sessionId: id && /^[\w.:-]{1,256}$/.test(id) ? id : null };
  }
  if (where === 'sync') return { kind: 'sync' };
  return null;
}

/** The `easel://` link among a second instance's command-line arguments, if any. */
export const linkInArgs = (argv: readonly string[]): string | null =>
  argv.find((a) => a.startsWith('easel://')) ?? null;
