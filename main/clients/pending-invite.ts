/**
 * The `easel://team-invite` link that reached the app and waits for the user's answer
 * (docs/architecture.md §14). Held in memory until they join or dismiss it, so a link that
 * arrives before sign-in (or while another account is signed in) is still offered afterwards.
 * Only the last link counts; every change is told to the renderer.
 */
export class PendingInvite {
  private token: string | null = null;

  constructor(private readonly onChange: (token: string | null) => void) {}

  get(): { token: string | null } {
    return { token: this.token };
  }

  set(token: string): void {
    this.token = token;
    this.onChange(token);
  }

  /** Clears the pending link (only if it is still `token`, when given). */
  clear(token?: string): { token: string | null } {
    if (this.token !== null && (token === undefined || token === this.token)) {
      this.token = null;
      this.onChange(null);
    }
    return this.get();
  }
}
