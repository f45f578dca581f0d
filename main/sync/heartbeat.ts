import { EaselError } from '../../shared/ipc/contract';
import { isOfflineError } from '../core/errors';
import type { HttpClient } from '../clients/http';
import type { Connectivity } from './connectivity';

export interface HeartbeatOptions {
  /** Silence longer than this on the stream means the server is gone (default 1500 ms). */
  staleMs?: number;
}

/**
 * Keeps `GET /v1/heartbeat` open while online (docs/architecture.md §4): the server writes a
 * line every second, so a server that stops or becomes unreachable is noticed within ~1.5 s —
 * the stream ends, fails, or falls silent after it started — and reported to Connectivity, which turns the sync
 * badge to Offline. Back online (Connectivity's probe), the stream opens again.
 */
export class Heartbeat {
  private abort: AbortController | null = null;
  private stopped = false;
  private unsupported = false;
  private readonly off: () => void;

  constructor(
    private readonly http: HttpClient,
    private readonly connectivity: Connectivity,
    private readonly options: HeartbeatOptions = {},
  ) {
    this.off = connectivity.onChange((online) => {
      if (online) this.open();
    });
  }

  /** Opens the stream (once; again after each reconnect). */
  open(): void {
    if (this.stopped || this.unsupported || this.abort || !this.connectivity.online) return;
    const abort = new AbortController();
    this.abort = abort;
    void this.watch(abort).finally(() => {
      if (this.abort === abort) this.abort = null;
    });
  }

  private async watch(abort: AbortController): Promise<void> {
    const staleMs = this.options.staleMs ?? 1500;
    let timer: NodeJS.Timeout | null = null;
    let silent = false;
    const arm = (): void => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        silent = true;
        abort.abort();
      }, staleMs);
      timer.unref();
    };
    try {
      // Silence counts only once beats have arrived: a proxy that buffers the stream (never
      // starting it) must not make a reachable server look gone; requests still tell.
      const res = await this.http.stream('/v1/heartbeat', abort.signal, { auth: false });
      const reader = res.body?.getReader();
      if (!reader) return;
      arm();
      for (;;) {
        const { done } = await reader.read();
        if (done) break;
        arm();
      }
      if (!this.stopped) this.connectivity.report(false);
    } catch (error) {
      if (this.stopped) return;
      // A server without the route (an older one answers 404): rely on requests failing, as before.
      if (!silent && error instanceof EaselError && !isOfflineError(error)) this.unsupported = true;
      // Silence, no connection, or the stream cut off mid-way: the server is gone.
      else this.connectivity.report(false);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  close(): void {
    this.stopped = true;
    this.off();
    this.abort?.abort();
  }
}
