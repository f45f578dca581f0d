import type { JobView } from '../../../shared/ipc/types';
import type { PriceBook } from '../../../shared/pricing/book';
import type { GalleryRow } from '../db/db';

/** One image as the viewer and the result tiles show it. */
export interface ResultItem {
  key: string;
  itemId: string;
  jobId: string;
  sha256: string;
  mime: string;
  width: number;
  height: number;
  tool: JobView['tool'];
  prompt: string | null;
  /** Generate: the seed this image was made with (the run's seed + its index). */
  seed: number | null;
  /** The model's price-book label. */
  model: string | null;
  /** This image's share of what the run cost (charged, else held). */
  credits: number | null;
  createdAt: string;
  /** 0-based place in its run. */
  index: number;
  refundCredits: number;
  disliked: boolean;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);

export function modelLabel(params: Record<string, unknown>, book: PriceBook | null): string | null {
  const id = str(params.model);
  if (!id) return null;
  return book?.tools.generate?.models[id]?.label ?? id;
}

export const promptOf = (params: Record<string, unknown>): string | null => str(params.prompt);

/** The results of a run, in order. */
export function itemsOfJob(job: JobView, book: PriceBook | null): ResultItem[] {
  const total = job.capturedCredits ?? job.heldCredits;
  const seed = num(job.params.seed);
  return job.outputs.map((o, index) => ({
    key: `${job.jobId}:${index}`,
    itemId: o.itemId,
    jobId: job.jobId,
    sha256: o.sha256,
    mime: o.mime,
    width: o.width,
    height: o.height,
    tool: job.tool,
    prompt: promptOf(job.params),
    seed: job.tool === 'generate' && seed !== null ? (seed + index) % 2 ** 32 : null,
    model: modelLabel(job.params, book),
    credits: job.outputs.length > 0 ? Math.round(total / job.outputs.length) : null,
    createdAt: job.createdAt,
    index,
    refundCredits: o.refundCredits,
    disliked: o.disliked,
  }));
}

/** Gallery rows (newest first) as results; a run's images keep their order within it. */
export function itemsOfGallery(
  rows: readonly GalleryRow[],
  jobs: Readonly<Record<string, JobView>>,
  book: PriceBook | null,
): ResultItem[] {
  const seen = new Map<string, number>();
  const placeOf = new Map<string, number>();
  // Rows of one run, oldest first, give each its index.
  for (const row of [...rows].reverse()) {
    const n = seen.get(row.jobId) ?? 0;
    seen.set(row.jobId, n + 1);
    placeOf.set(row.itemId, n);
  }
  return rows.map((row) => {
    const index = placeOf.get(row.itemId) ?? 0;
    const job = jobs[row.jobId];
    const fromJob = job ? itemsOfJob(job, book).find((i) => i.itemId === row.itemId) : undefined;
    const seed = num(row.params.seed);
    return {
      key: row.itemId,
      itemId: row.itemId,
      jobId: row.jobId,
      sha256: row.sha256,
      mime: row.mime,
      width: row.width,
      height: row.height,
      tool: row.tool,
      prompt: promptOf(row.params),
      seed: fromJob?.seed ?? (row.tool === 'generate' && seed !== null ? seed + index : null),
      model: modelLabel(row.params, book),
      credits: fromJob?.credits ?? null,
      createdAt: row.createdAt,
      index: fromJob?.index ?? index,
      refundCredits: row.refundCredits,
      disliked: row.disliked,
    };
  });
}

/**
 * "Sampling step 12 of 30 · 40% · about 12 s left". Time left is the engine's estimate, else one
 * from the pace so far (once a twentieth is done), given when this window saw the run start.
 */
export function progressText(job: JobView, runningSince?: number, now = Date.now()): string {
  if (job.state === 'queued') return 'Waiting for the engine to start…';
  if (job.progress === 0 && !job.stage) return 'Starting…';
  const parts = [job.stage ?? 'Working', `${Math.round(job.progress * 100)}%`];
  const p = job.progress;
  const paced =
    runningSince !== undefined && p >= 0.05 && p < 1
      ? (((now - runningSince) / 1000) * (1 - p)) / p
      : null;
  const eta = etaText(job.etaSeconds ?? paced);
  if (eta) parts.push(eta);
  return parts.join(' · ');
}

/** "about 12 s left", "about 3 min left". */
function etaText(seconds: number | null): string | null {
  if (seconds === null) return null;
  if (seconds < 1) return 'almost done';
  if (seconds < 90) return `about ${Math.ceil(seconds)} s left`;
  return `about ${Math.round(seconds / 60)} min left`;
}

export const TOOL_LABEL: Record<JobView['tool'], string> = {
  generate: 'Generate',
  filter: 'Filter',
  upscale: 'Upscale',
  cutout: 'Cutout',
  'face-enhance': 'Face enhance',
};
