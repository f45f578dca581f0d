/**
 * Where main keeps secrets (the session token, the device's signing key). Electron encrypts
 * them with safeStorage; browser mode keeps them in a file and says so.
 */
export interface SecretStore {
  get(name: string): Promise<string | null>;
  set(name: string, value: string): Promise<void>;
  delete(name: string): Promise<void>;
  /** True when secrets are stored in plain text (no OS keyring). Shown to the user. */
  readonly insecure: boolean;
  /** Keeps an unreadable secrets file aside so the store starts empty (docs/architecture.md §10). */
  moveAside?(): Promise<void>;
}

/** In-memory store for tests. */
export class MemorySecretStore implements SecretStore {
  private readonly values = new Map<string, string>();
  readonly insecure = false;
  async get(name: string) {
    return this.values.get(name) ?? null;
  }
  async set(name: string, value: string) {
    this.values.set(name, value);
  }
  async delete(name: string) {
    this.values.delete(name);
  }
}
