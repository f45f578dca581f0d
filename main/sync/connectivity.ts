import { z } from 'zod';
import type { HttpClient } from '../clients/http';

const Health = z.object({ ok: z.boolean() });

export interface ConnectivityOptions {
  /** How often to probe /healthz while offline. */
  probeMs?: number;
  now?: () => Date;
}

/**
 * Online/offline as the app experiences it: any network failure makes us offline, any answer
 * makes us online again. While offline a probe of /healthz runs periodically so we notice the
 * way back without user action.
 */
export class Connectivity {
  private offlineSinceAt: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly listeners = new Set<(online: boolean) => void>();
  private http: HttpClient | null = null;

  constructor(private readonly options: ConnectivityOptions = {}) {}

  attach(http: HttpClient): void {
    this.http = http;
  }

  get online(): boolean {
    return this.offlineSinceAt === null;
  }

  get offlineSince(): string | null {
    return this.offlineSinceAt;
  }

  report(reachable: boolean): void {
    if (reachable && this.offlineSinceAt !== null) {
      this.offlineSinceAt = null;
      this.stopProbe();
      for (const l of this.listeners) l(true);
    } else if (!reachable && this.offlineSinceAt === null) {
      this.offlineSinceAt = (this.options.now?.() ?? new Date()).toISOString();
      this.startProbe();
      for (const l of this.listeners) l(false);
    }
  }

  onChange(listener: (online: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** One probe now; resolves to whether the server answered. */
  async probe(): Promise<boolean> {
    if (!this.http) return false;
    try {
      await this.http.json('GET', '/healthz', { schema: Health, auth: false, timeoutMs: 5000 });
      return true;
    } catch {
      return false; // not reachable: the probe runs again on its timer
    }
  }

  private startProbe(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.probe(), this.options.probeMs ?? 5000);
    this.timer.unref();
  }

  private stopProbe(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  close(): void {
    this.stopProbe();
    this.listeners.clear();
  }
}
