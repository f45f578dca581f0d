import { describe, expect, it } from 'vitest';
import type { ToolsResponse } from '../../../shared/api/jobs';
import type { JobView } from '../../../shared/ipc/types';
import { defaultPriceBook } from '../../../shared/pricing/fixtures/default';
import type { GalleryRow } from '../db/db';
import { blockedReason, OFFLINE_REASON } from './availability';
import { downloadName, slugOf } from './download-name';
import { itemsOfGallery, itemsOfJob, progressText } from './results';
import { checkFile, checkPixels, limitsSentence, uploadLimits } from './upload-limits';

const tools = (over: Partial<ToolsResponse> = {}): ToolsResponse => ({
  generate: {
    provider: { id: 'easel-preview', label: 'Easel Preview' },
    preview: { id: 'easel-preview', label: 'Easel Preview' },
    models: [
      { id: 'easel-preview', label: 'Preview', engineModel: null, available: true, reason: null },
      {
        id: 'pro',
        label: 'Pro',
        engineModel: null,
        available: false,
        reason: 'No engine for Pro.',
      },
    ],
    textToImage: { available: true, reason: null },
    imageToImage: { available: false, reason: 'This engine cannot start from an image.' },
    maxPromptLength: 1000,
  },
  filter: { available: true, reason: null },
  upscale: {
    available: true,
    reason: null,
    tiers: [
      { id: 'fast', label: 'Fast', engineModel: 'm', available: true, reason: null },
      { id: 'best', label: 'Best', engineModel: 'm', available: false, reason: 'Best is off.' },
    ],
  },
  cutout: { available: false, reason: 'Cutout is not installed here.' },
  faceEnhance: { available: false, reason: 'No engine here restores faces.' },
  uploads: { maxBytes: 25 * 1024 * 1024, maxPixels: 40_000_000, formats: ['png', 'jpeg', 'webp'] },
  ...over,
});

describe('upload limits (checked before any upload)', () => {
  const l = uploadLimits(tools(), null);
  it('states the limits as a sentence with the numbers', () => {
    expect(limitsSentence(l)).toBe('PNG, JPEG or WebP images up to 25 MB and 40 megapixels.');
  });
  it('refuses a wrong type, a file too large and too many pixels, each with a sentence', () => {
    expect(checkFile({ type: 'image/gif', size: 10, name: 'a.gif' }, l)).toBe(
      '“a.gif” is a GIF image; Easel takes PNG, JPEG or WebP images.',
    );
    expect(checkFile({ type: 'image/png', size: 30 * 1024 * 1024, name: 'big.png' }, l)).toBe(
      '“big.png” is 30 MB; the largest image you can use is 25 MB.',
    );
    expect(checkFile({ type: 'image/png', size: 25 * 1024 * 1024 }, l)).toBeNull();
    expect(checkPixels(8000, 6000, l)).toBe(
      'This image is 8000 × 6000 pixels (48 megapixels); the largest you can use is 40 megapixels.',
    );
    expect(checkPixels(8000, 5000, l)).toBeNull();
  });
  it('never allows more than the IPC bridge carries, and falls back to the price book offline', () => {
    const generous = uploadLimits(
      tools({ uploads: { maxBytes: 1e9, maxPixels: 9, formats: ['png'] } }),
      5,
    );
    expect(generous.maxBytes).toBe(26_250_000);
    const offline = uploadLimits(null, 12_000_000);
    expect(offline.maxPixels).toBe(12_000_000);
    expect(offline.formats).toEqual(['png', 'jpeg', 'webp']);
  });
});

describe('only what can run', () => {
  it('gives the server’s reason for a model, mode, tool or tier it cannot run', () => {
    const t = tools();
    expect(
      blockedReason({ tool: 'generate', mode: 'text-to-image', model: 'easel-preview' }, t, true),
    ).toBeNull();
    expect(blockedReason({ tool: 'generate', mode: 'text-to-image', model: 'pro' }, t, true)).toBe(
      'No engine for Pro.',
    );
    expect(
      blockedReason({ tool: 'generate', mode: 'image-to-image', model: 'easel-preview' }, t, true),
    ).toBe('This engine cannot start from an image.');
    expect(blockedReason({ tool: 'cutout' }, t, true)).toBe('Cutout is not installed here.');
    expect(blockedReason({ tool: 'upscale', tier: 'best' }, t, true)).toBe('Best is off.');
    expect(blockedReason({ tool: 'upscale', tier: 'fast' }, t, true)).toBeNull();
    expect(blockedReason({ tool: 'face-enhance' }, t, true)).toBe('No engine here restores faces.');
    const faces = tools({ faceEnhance: { available: true, reason: null } });
    expect(blockedReason({ tool: 'face-enhance' }, faces, true)).toBeNull();
  });
  it('offline, nothing runs (the server is needed) and it says so', () => {
    expect(blockedReason({ tool: 'filter' }, tools(), false)).toBe(OFFLINE_REASON);
    expect(blockedReason({ tool: 'filter' }, null, false)).toBe(OFFLINE_REASON);
  });
});

describe('download names', () => {
  it('names a download from the prompt, the local date and the 1-based place in its run', () => {
    const createdAt = new Date(2026, 11, 1, 12).toISOString();
    expect(
      downloadName({
        prompt: 'Sunset over the Lake!',
        tool: 'generate',
        createdAt,
        index: 1,
        mime: 'image/png',
      }),
    ).toBe('sunset-over-the-lake_2026-12-01_2.png');
    expect(
      downloadName({ prompt: null, tool: 'upscale', createdAt, index: 0, mime: 'image/jpeg' }),
    ).toBe('upscale_2026-12-01_1.jpg');
    expect(slugOf('Café crème — über alles')).toBe('cafe-creme-uber-alles');
    expect(slugOf('a '.repeat(60)).length).toBeLessThanOrEqual(48);
  });
});

describe('results', () => {
  const job: JobView = {
    jobId: 'j1',
    operationId: 'op-12345678',
    tool: 'generate',
    state: 'succeeded',
    progress: 1,
    stage: null,
    etaSeconds: null,
    heldCredits: 24,
    capturedCredits: 12,
    error: null,
    outputs: [0, 1].map((i) => ({
      itemId: `it${i}`,
      sha256: String(i).repeat(64),
      width: 512,
      height: 512,
      mime: 'image/png',
      refundCredits: 4,
      disliked: false,
      localPath: null,
    })),
    createdAt: '2026-12-01T10:00:00.000Z',
    params: { prompt: 'a fox', seed: 4_294_967_295, model: 'pro' },
  };
  it('gives each image its seed, model label and share of what was charged', () => {
    const items = itemsOfJob(job, defaultPriceBook);
    expect(items.map((i) => i.seed)).toEqual([4_294_967_295, 0]);
    expect(items.map((i) => i.credits)).toEqual([6, 6]);
    expect(items[0]?.model).toBe('Pro');
  });
  it('numbers gallery images within their run, oldest first', () => {
    const row = (itemId: string, jobId: string): GalleryRow => ({
      itemId,
      jobId,
      tool: 'generate',
      sha256: 'a'.repeat(64),
      width: 1,
      height: 1,
      mime: 'image/png',
      refundCredits: 0,
      disliked: false,
      createdAt: '2026-12-01T10:00:00.000Z',
      params: { seed: 10 },
    });
    // Newest first, as the Gallery lists them.
    const items = itemsOfGallery([row('c', 'j2'), row('b', 'j1'), row('a', 'j1')], {}, null);
    expect(items.map((i) => [i.itemId, i.index, i.seed])).toEqual([
      ['c', 0, 10],
      ['b', 1, 11],
      ['a', 0, 10],
    ]);
  });
});

describe('progress', () => {
  const running = (progress: number, over: Partial<JobView> = {}): JobView => ({
    jobId: 'j',
    operationId: 'op-12345678',
    tool: 'upscale',
    state: 'running',
    progress,
    stage: null,
    etaSeconds: null,
    heldCredits: 1,
    capturedCredits: null,
    error: null,
    outputs: [],
    createdAt: '2026-12-01T10:00:00.000Z',
    params: {},
    ...over,
  });
  it('says the stage, percent and the engine’s time left', () => {
    expect(progressText(running(0.25, { stage: 'Upscaling tile 4 of 16', etaSeconds: 12 }))).toBe(
      'Upscaling tile 4 of 16 · 25% · about 12 s left',
    );
    expect(progressText(running(0.5, { etaSeconds: 300 }))).toBe(
      'Working · 50% · about 5 min left',
    );
  });
  it('estimates time left from the pace when the engine gives none', () => {
    // A quarter done in 10 s: 30 s to go.
    expect(progressText(running(0.25), 1_000, 11_000)).toBe('Working · 25% · about 30 s left');
    // Too early to tell.
    expect(progressText(running(0.02), 1_000, 2_000)).toBe('Working · 2%');
    expect(progressText(running(0))).toBe('Starting…');
    expect(progressText(running(0, { state: 'queued' }))).toBe('Waiting for the engine to start…');
  });
});
