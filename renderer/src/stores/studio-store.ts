import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ToolsResponse } from '../../../shared/api/jobs';
import type { EaselApi } from '../../../shared/ipc/contract';
import type { JobView } from '../../../shared/ipc/types';
import type { FilterPresets, UpscaleTier } from '../../../shared/pricing/book';
import type { Quote } from '../../../shared/pricing/request';
import { blobOfBase64 } from '../../bridge/file-blob';
import { imageUrl } from '../studio/image-cache';
import { checkFile, checkPixels, mimeOf, uploadLimits } from '../studio/upload-limits';
import { promptOf, TOOL_LABEL, type ResultItem } from '../studio/results';
import { messageOf } from '../util/errors';
import type { CatalogStore } from './catalog-store';
import type { JobsStore } from './jobs-store';

export type StudioTool = 'generate' | 'filter' | 'upscale' | 'cutout' | 'face-enhance';

/** The Generate form: kept here so it survives leaving the Studio and reusing an image. */
interface GenerateForm {
  mode: 'text-to-image' | 'image-to-image';
  prompt: string;
  negative: string;
  style: string;
  model: string;
  size: string;
  steps: number;
  seed: string;
  count: number;
}

interface ImageForm {
  preset: (typeof FilterPresets)[number];
  factor: 2 | 4 | 8;
  tier: UpscaleTier;
}

interface Toast {
  id: number;
  text: string;
  tone: 'ok' | 'bad';
}

export interface StudioState {
  tool: StudioTool;
  generate: GenerateForm;
  image: ImageForm;
  /** What the server can run now (null: not known, e.g. offline). */
  tools: ToolsResponse | null;
  online: boolean;
  /** The chosen input image as the user sees it (an object URL), and its file name. */
  inputPreview: string | null;
  inputName: string | null;
  /** Why the last file was refused, as a sentence shown at the input. */
  inputError: string | null;
  inputBusy: boolean;
  /** The input each run started here was made from (jobId → object URL): the "before". */
  beforeOf: Record<string, string>;
  /** The run the result area shows. */
  currentJobId: string | null;
  /** Preview frames of running jobs (jobId → image index → object URL). */
  previews: Record<string, Record<number, string>>;
  /** When this window saw each run end (ms since epoch), for "took 6 s". */
  endedAt: Record<string, number>;
  /** When this window saw each run start running: time left is estimated from it when the engine gives none. */
  runningSince: Record<string, number>;
  /** The screen shown now (App's route). */
  screen: string;
  /** Runs that ended while the user was on another screen: the badge on Studio. */
  unseen: number;
  toasts: Toast[];
  /**
   * Bumped when focus should move to the result: `force` when a run starts (the user just ran
   * it), not when it ends (focus then moves only if the user is not busy elsewhere).
   */
  focusResult: { n: number; force: boolean };
  /** The active tool's run, when it can run now (Ctrl/Cmd+Enter calls it). */
  runner: (() => void) | null;
  /** The full-size viewer: the images it steps through and the one shown. */
  viewer: { items: ResultItem[]; index: number } | null;

  start(): Promise<void>;
  stop(): void;
  setTool(tool: StudioTool): void;
  patchGenerate(patch: Partial<GenerateForm>): void;
  patchImage(patch: Partial<ImageForm>): void;
  setScreen(screen: string): void;
  setRunner(runner: (() => void) | null): void;
  showJob(jobId: string): void;
  refreshTools(): Promise<void>;
  /** Checks a file against the limits, then uploads it as the input. */
  takeFile(file: Blob, name?: string): Promise<boolean>;
  /** Uses a result (by file hash) as the input, optionally switching tool; keeps the form. */
  reuse(sha256: string, tool?: StudioTool): Promise<boolean>;
  clearInput(): void;
  run(tool: JobView['tool'], params: Record<string, unknown>, quote: Quote): Promise<void>;
  openViewer(items: ResultItem[], index: number): void;
  closeViewer(): void;
  toast(text: string, tone?: Toast['tone']): void;
  dismissToast(id: number): void;
}

export type StudioStore = StoreApi<StudioState>;

const ACTIVE = new Set(['queued', 'running']);
/** A run has come to an end the user should hear about. */
const ENDED = new Set(['succeeded', 'failed', 'awaiting-confirm']);

const initialGenerate: GenerateForm = {
  mode: 'text-to-image',
  prompt: '',
  negative: '',
  style: 'none',
  model: 'easel-preview',
  size: '512x512',
  steps: 20,
  seed: '',
  count: 1,
};

const toBase64 = async (blob: Blob): Promise<string> => {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
};
/** Width and height of an image file, or null when it does not decode. */
async function dimensionsOf(file: Blob): Promise<{ width: number; height: number } | null> {
  try {
    const bitmap = await createImageBitmap(file);
    const size = { width: bitmap.width, height: bitmap.height };
    bitmap.close();
    return size;
  } catch {
    return null;
  }
}

/** What a finished run says in a notification. */
function endedMessage(job: JobView): { title: string; body: string } {
  const what = promptOf(job.params) ?? `${TOOL_LABEL[job.tool]} run`;
  if (job.state === 'failed')
    return { title: 'A run did not finish', body: `${what}: ${job.error ?? 'it failed.'}` };
  if (job.state === 'awaiting-confirm')
    return { title: 'Your cutout is ready to confirm', body: `${what}. Confirm it in the Studio.` };
  const n = job.outputs.length;
  return {
    title: n === 1 ? 'Your image is ready' : `Your ${n} images are ready`,
    body: `${what}. Open the Studio to see ${n === 1 ? 'it' : 'them'}.`,
  };
}

/**
 * The Studio's own state (docs/architecture.md §8): the forms, what the server can run, the input
 * image, the current run and its previews, and notice of runs that end while the user is away.
 */
export function createStudioStore(
  api: EaselApi,
  jobs: JobsStore,
  catalog: CatalogStore,
): StudioStore {
  const cleanups: Array<() => void> = [];
  let toastId = 0;
  /** States seen per job: only a run seen active in this window is announced when it ends. */
  const lastState = new Map<string, JobView['state']>();
  // Inputs of runs still being submitted: a new input chosen meanwhile must not revoke them,
  // since each becomes its run's "before" once the submit answers.
  const submitting = new Set<string>();

  const store = createStore<StudioState>()((set, get) => {
    const keeps = (url: string): boolean =>
      submitting.has(url) || Object.values(get().beforeOf).includes(url);
    const announce = async (job: JobView): Promise<void> => {
      const away = get().screen !== 'studio';
      const hidden = typeof document !== 'undefined' && document.visibilityState === 'hidden';
      if (away) set({ unseen: get().unseen + 1 });
      if (!away && !hidden) return;
      const { title, body } = endedMessage(job);
      const shown = await api
        .notify({ title, body: body.slice(0, 400) })
        .then((r) => r.shown)
        .catch(() => false);
      if (shown) return;
      if (
        typeof Notification !== 'undefined' &&
        Notification.permission === 'granted' &&
        api.transport === 'browser'
      ) {
        new Notification(title, { body });
        return;
      }
      get().toast(`${title}. ${body}`, job.state === 'failed' ? 'bad' : 'ok');
    };

    const onJobs = (all: Record<string, JobView>): void => {
      for (const job of Object.values(all)) {
        const before = lastState.get(job.jobId);
        if (before === job.state) continue;
        lastState.set(job.jobId, job.state);
        if (job.state === 'running' && get().runningSince[job.jobId] === undefined)
          set({ runningSince: { ...get().runningSince, [job.jobId]: Date.now() } });
        if (!before || !ACTIVE.has(before) || ACTIVE.has(job.state)) continue;
        // Marks for the studio-result-paint benchmark (bench/suites/studio.bench.ts).
        if (job.state === 'succeeded') performance.mark(`easel:job-succeeded:${job.jobId}`);
        // Its images are fetched now, before React renders the tiles that show them.
        job.outputs.forEach((o, i) => {
          const fetched = imageUrl(api, o.sha256);
          if (i === 0 && job.state === 'succeeded')
            void fetched.then(() => performance.mark(`easel:job-file-ready:${job.jobId}`));
        });
        set({
          endedAt: { ...get().endedAt, [job.jobId]: Date.now() },
          ...(get().currentJobId === job.jobId
            ? { focusResult: { n: get().focusResult.n + 1, force: false } }
            : {}),
        });
        const frames = get().previews[job.jobId];
        if (frames && job.outputs.length > 0) {
          for (const url of Object.values(frames)) URL.revokeObjectURL(url);
          set({
            previews: Object.fromEntries(
              Object.entries(get().previews).filter(([id]) => id !== job.jobId),
            ),
          });
        }
        if (ENDED.has(job.state)) void announce(job);
      }
    };

    const setInput = (preview: string, name: string | null): void => {
      const old = get().inputPreview;
      // An input a run was made from stays: it is that run's "before".
      if (old && !keeps(old)) URL.revokeObjectURL(old);
      set({ inputPreview: preview, inputName: name });
    };

    return {
      tool: 'generate',
      generate: initialGenerate,
      image: { preset: 'vivid', factor: 2, tier: 'fast' },
      tools: null,
      online: true,
      inputPreview: null,
      inputName: null,
      inputError: null,
      inputBusy: false,
      beforeOf: {},
      currentJobId: null,
      previews: {},
      endedAt: {},
      runningSince: {},
      screen: 'studio',
      unseen: 0,
      toasts: [],
      focusResult: { n: 0, force: false },
      runner: null,
      viewer: null,

      async start() {
        for (const job of Object.values(jobs.getState().jobs)) lastState.set(job.jobId, job.state);
        cleanups.push(
          jobs.subscribe((s, prev) => {
            if (s.jobs !== prev.jobs) onJobs(s.jobs);
          }),
          api.on('jobPreview', (p) => {
            const url = URL.createObjectURL(blobOfBase64(p.base64, p.mime));
            const frames = { ...get().previews[p.jobId] };
            const old = frames[p.index];
            if (old) URL.revokeObjectURL(old);
            frames[p.index] = url;
            set({ previews: { ...get().previews, [p.jobId]: frames } });
          }),
          api.on('syncState', (state) => {
            const online = state.status !== 'offline';
            if (online === get().online) return;
            set({ online });
            if (online) void get().refreshTools();
          }),
        );
        const sync = await api.getSyncState({}).catch(() => null);
        if (sync) set({ online: sync.status !== 'offline' });
        await get().refreshTools();
      },

      stop() {
        for (const c of cleanups.splice(0)) c();
        lastState.clear();
        // The next account starts clean: no prompt, input or runs of this one.
        set({
          tool: 'generate',
          generate: initialGenerate,
          tools: null,
          inputPreview: null,
          inputName: null,
          inputError: null,
          beforeOf: {},
          currentJobId: null,
          previews: {},
          unseen: 0,
          toasts: [],
          viewer: null,
        });
      },

      setTool: (tool) => set({ tool }),
      patchGenerate: (patch) => set({ generate: { ...get().generate, ...patch } }),
      patchImage: (patch) => set({ image: { ...get().image, ...patch } }),
      setScreen(screen) {
        set({ screen, ...(screen === 'studio' ? { unseen: 0 } : {}) });
        if (screen === 'studio') void get().refreshTools();
      },
      setRunner: (runner) => set({ runner }),
      showJob: (jobId) => set({ currentJobId: jobId }),

      async refreshTools() {
        try {
          set({ tools: await api.getTools({}) });
        } catch {
          // Offline or signed out: keep what was known; the online flag says the rest.
        }
      },

      async takeFile(file, name) {
        const limits = uploadLimits(
          get().tools,
          catalog.getState().priceBook?.book.maxPixels ?? null,
        );
        const refuse = (message: string): false => {
          set({ inputError: message, inputBusy: false });
          return false;
        };
        set({ inputError: null });
        const early = checkFile({ type: file.type, size: file.size, name }, limits);
        if (early) return refuse(early);
        set({ inputBusy: true });
        const size = await dimensionsOf(file);
        if (!size)
          return refuse(`${name ? `“${name}”` : 'This file'} could not be read as an image.`);
        const tooBig = checkPixels(size.width, size.height, limits);
        if (tooBig) return refuse(tooBig);
        const mime = mimeOf(file.type, limits);
        if (mime !== 'image/png' && mime !== 'image/jpeg' && mime !== 'image/webp')
          return refuse('Easel takes PNG, JPEG or WebP images.');
        try {
          const r = await api.uploadImage({ mime, base64: await toBase64(file) });
          jobs.setState({ input: { uploadId: r.uploadId, width: r.width, height: r.height } });
          setInput(URL.createObjectURL(file), name ?? null);
          set({ inputBusy: false });
          return true;
        } catch (error) {
          const m = messageOf(error);
          return refuse(`The image was not uploaded: ${m.replace(/\.$/, '')}.`);
        }
      },

      async reuse(sha256, tool) {
        try {
          const ok = await get().takeFile(await api.fileBlob(sha256), 'a result');
          if (!ok) return false;
          const input = jobs.getState().input;
          if (input) jobs.setState({ input: { ...input, sha256 } });
          set({ inputName: null });
          const next = tool ?? get().tool;
          set({ tool: next });
          // The prompt and settings stay; text to image becomes image to image, as an input is now given.
          if (next === 'generate' && get().generate.mode === 'text-to-image')
            get().patchGenerate({ mode: 'image-to-image' });
          return true;
        } catch (error) {
          set({ inputError: `That image could not be reused: ${messageOf(error)}` });
          return false;
        }
      },

      clearInput() {
        const old = get().inputPreview;
        if (old && !keeps(old)) URL.revokeObjectURL(old);
        jobs.setState({ input: null });
        set({ inputPreview: null, inputName: null, inputError: null });
      },

      async run(tool, params, quote) {
        const before = get().inputPreview;
        const usesInput = tool !== 'generate' || params.mode === 'image-to-image';
        if (usesInput && before) submitting.add(before);
        const job = await jobs
          .getState()
          .submit(tool, params, quote)
          .finally(() => before && submitting.delete(before));
        if (!job) {
          // Refused: an input replaced meanwhile is no longer anyone's "before".
          if (before && before !== get().inputPreview && !keeps(before))
            URL.revokeObjectURL(before);
          return;
        }
        lastState.set(job.jobId, lastState.get(job.jobId) ?? 'queued');
        set({
          currentJobId: job.jobId,
          focusResult: { n: get().focusResult.n + 1, force: true },
          ...(usesInput && before ? { beforeOf: { ...get().beforeOf, [job.jobId]: before } } : {}),
        });
        // The submit may answer with a job that already ended (a fast engine).
        if (!ACTIVE.has(job.state)) onJobs({ [job.jobId]: { ...job, state: 'queued' } });
        onJobs(jobs.getState().jobs);
      },

      openViewer: (items, index) => set({ viewer: { items, index } }),
      closeViewer: () => set({ viewer: null }),

      toast(text, tone = 'ok') {
        const id = ++toastId;
        set({ toasts: [...get().toasts, { id, text, tone }].slice(-3) });
      },
      dismissToast: (id) => set({ toasts: get().toasts.filter((t) => t.id !== id) }),
    };
  });
  return store;
}
