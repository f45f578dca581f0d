/** The `easel://` link among a second instance's command-line arguments, if any. */
export const linkInArgs = (argv: readonly string[]): string | null =>
  argv.find((a) => a.startsWith('easel://')) ?? null;
