import { createStore, type StoreApi } from 'zustand/vanilla';
import type { EaselApi } from '../../../shared/ipc/contract';
import type { JobView } from '../../../shared/ipc/types';
import type { Quote } from '../../../shared/pricing/request';
import type { EaselDb, GalleryRow } from '../db/db';
import { messageOf } from '../util/errors';
import { operationId } from '../util/ids';
import { watch } from '../util/live';
import { useTeams } from './team-store';

type Tool = JobView['tool'];

export interface JobsState {
  jobs: Record<string, JobView>;
  gallery: GalleryRow[];
  /** An input image picked for the next filter / upscale / cutout / image-to-image run. */
  input: { uploadId: string; width: number; height: number; sha256?: string } | null;
  error: string | null;
  submitting: boolean;
  start(): Promise<void>;
  /** Loads a team's runs (its files, by every member) to show while its wallet is chosen. */
  loadTeam(teamId: string): Promise<void>;
  submit(tool: Tool, params: Record<string, unknown>, quote: Quote): Promise<JobView | null>;
  cancel(jobId: string): Promise<void>;
  confirm(jobId: string): Promise<void>;
  discard(jobId: string): Promise<void>;
  dislike(itemId: string): Promise<number | null>;
  upload(file: Blob): Promise<void>;
  reuse(row: GalleryRow): Promise<void>;
  stop(): void;
}

export type JobsStore = StoreApi<JobsState>;

const DONE = new Set(['succeeded', 'confirmed']);

export function createJobsStore(api: EaselApi, db: EaselDb, onChange: () => void): JobsStore {
  const cleanups: Array<() => void> = [];
  return createStore<JobsState>()((set, get) => {
    const track = async (job: JobView): Promise<void> => {
      set({ jobs: { ...get().jobs, [job.jobId]: job } });
      // The runs list survives a reload and shows offline (docs/architecture.md §9).
      await db.runs.put(job).catch(() => undefined);
      if (DONE.has(job.state)) {
        // The server does not say which images were disliked: keep what this device recorded.
        const known = await db.gallery.bulkGet(job.outputs.map((o) => o.itemId));
        await db.gallery.bulkPut(
          job.outputs.map((o, i) => ({
            itemId: o.itemId,
            jobId: job.jobId,
            tool: job.tool,
            sha256: o.sha256,
            width: o.width,
            height: o.height,
            mime: o.mime,
            refundCredits: o.refundCredits,
            disliked: o.disliked || known[i]?.disliked === true,
            createdAt: job.createdAt,
            params: job.params,
            ...(job.team ? { teamId: job.team.teamId } : {}),
          })),
        );
      }
      if (job.state !== 'queued' && job.state !== 'running') onChange();
    };
    const act = async (fn: () => Promise<JobView>): Promise<void> => {
      set({ error: null });
      try {
        await track(await fn());
      } catch (error) {
        set({ error: messageOf(error) });
      }
    };
    const toBase64 = async (blob: Blob): Promise<string> => {
      const bytes = new Uint8Array(await blob.arrayBuffer());
      let s = '';
      for (let i = 0; i < bytes.length; i += 0x8000)
        s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(s);
    };

    return {
      jobs: {},
      gallery: [],
      input: null,
      error: null,
      submitting: false,

      async start() {
        cleanups.push(
          watch(
            () => db.gallery.orderBy('createdAt').reverse().toArray(),
            (gallery) => set({ gallery }),
          ),
          api.on('jobUpdate', (job) => void track(job)),
        );
        const stored = await db.runs.orderBy('createdAt').reverse().limit(50).toArray();
        set({ jobs: { ...Object.fromEntries(stored.map((j) => [j.jobId, j])), ...get().jobs } });
        try {
          for (const job of await api.listJobs({})) await track(job);
        } catch {
          // Offline: the gallery still shows from the cache.
        }
      },

      async loadTeam(teamId) {
        try {
          for (const job of await api.listJobs({ teamId })) await track(job);
        } catch {
          // Offline, or no longer a member: the team's runs are not shown.
        }
      },

      async submit(tool, params, quote) {
        set({ submitting: true, error: null });
        // The wallet chosen in the top bar pays (docs/architecture.md §14).
        const { selected, projectId } = useTeams.getState();
        try {
          const job = await api.submitJob({
            operationId: operationId(tool),
            tool,
            params,
            quote: { credits: quote.credits, priceBookVersion: quote.priceBookVersion },
            ...(selected === null ? {} : { team: { teamId: selected, projectId } }),
          });
          await track(job);
          return job;
        } catch (error) {
          set({ error: messageOf(error) });
          return null;
        } finally {
          set({ submitting: false });
        }
      },

      cancel: (jobId) => act(() => api.cancelJob({ jobId })),
      confirm: (jobId) => act(() => api.confirmJob({ jobId })),
      discard: (jobId) => act(() => api.discardJob({ jobId })),

      async dislike(itemId) {
        set({ error: null });
        try {
          const r = await api.dislikeItem({ itemId });
          await db.gallery.update(itemId, { disliked: true });
          onChange();
          return r.credits;
        } catch (error) {
          set({ error: messageOf(error) });
          return null;
        }
      },

      async upload(file) {
        set({ error: null });
        try {
          const mime =
            file.type === 'image/jpeg' || file.type === 'image/webp' ? file.type : 'image/png';
          const r = await api.uploadImage({ mime, base64: await toBase64(file) });
          set({ input: { uploadId: r.uploadId, width: r.width, height: r.height } });
        } catch (error) {
          set({ error: messageOf(error) });
        }
      },

      async reuse(row) {
        set({ error: null });
        try {
          await get().upload(await api.fileBlob(row.sha256));
          const input = get().input;
          if (input) set({ input: { ...input, sha256: row.sha256 } });
        } catch (error) {
          set({ error: messageOf(error) });
        }
      },

      stop() {
        for (const c of cleanups.splice(0)) c();
      },
    };
  });
}
