import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import {
  type A1111StandIn,
  automatic1111StandIn,
} from '../../server/engines/generate/stand-ins/automatic1111';
import { type E2eApp, signUp, startE2eApp } from './app';
import { axeSerious, docsShot, topBarBalance } from './harness';

/**
 * Faces in the Studio (docs/architecture.md §8): a server whose engine is an Automatic1111 with
 * GFPGAN and CodeFormer restores faces through its extras endpoint, priced by the book; without
 * such an engine the tool is shown disabled with the server's reason.
 */
let engine: A1111StandIn;
let app: E2eApp | null = null;
let page: Page;

const portrait = (): Promise<Buffer> =>
  sharp({ create: { width: 128, height: 160, channels: 3, background: '#d9b99b' } })
    .composite([
      {
        input: Buffer.from(
          '<svg xmlns="http://www.w3.org/2000/svg" width="128" height="160"><ellipse cx="64" cy="80" rx="40" ry="52" fill="#c68642"/><circle cx="50" cy="70" r="5"/><circle cx="78" cy="70" r="5"/></svg>',
        ),
      },
    ])
    .png()
    .toBuffer();

const balance = (): Promise<number> => topBarBalance(page);

beforeAll(async () => {
  engine = await automatic1111StandIn({ stepMs: 5 });
  app = await startE2eApp({
    name: 'faces',
    serverEnv: { EASEL_GENERATE_PROVIDER: 'automatic1111', EASEL_GENERATE_URL: engine.baseUrl },
    context: { viewport: { width: 1400, height: 900 } },
  });
  page = app.page;
  await signUp(page, `faces-${Date.now()}@example.com`);
}, 120_000);

afterAll(async () => {
  await app?.close();
  await engine?.close();
});

describe('Faces in the Studio (browser mode, real server, Automatic1111 stand-in)', () => {
  it('restores the faces of an input image and charges the book’s price', async () => {
    await page.getByRole('tab', { name: 'Faces' }).click();
    await page.getByLabel('Input image').setInputFiles({
      name: 'portrait.png',
      mimeType: 'image/png',
      buffer: await portrait(),
    });
    const run = page.getByRole('button', { name: 'Restore faces' });
    await expect.poll(() => run.isEnabled(), { timeout: 20_000 }).toBe(true);
    const price = Number(await page.getByTestId('quote-credits').first().textContent());
    expect(price).toBe(1);
    const before = await balance();
    await docsShot(page, 'studio-faces');
    expect(await axeSerious(page)).toEqual([]);
    await run.click();
    await page.getByTestId('job-succeeded').waitFor({ timeout: 30_000 });
    await expect.poll(balance, { timeout: 20_000 }).toBe(before - price);
    // The engine was asked for GFPGAN or CodeFormer through its extras endpoint.
    const extras = engine.requests.filter((r) => r.url.startsWith('/sdapi/v1/extra-single-image'));
    expect(extras).toHaveLength(1);
    const asked = JSON.parse(extras[0]!.body.toString('utf8')) as Record<string, unknown>;
    expect(
      Number(asked.gfpgan_visibility ?? 0) + Number(asked.codeformer_visibility ?? 0),
    ).toBeGreaterThan(0);
  });

  it('says why it cannot run when the engine is gone, in place of running', async () => {
    await engine.close();
    // The server asks its engine again once its last answer is older than 30 s
    // (server/jobs/providers.ts); the Studio asks the server on each load.
    const run = page.getByRole('button', { name: 'Restore faces' });
    const blocked = page.getByTestId('run-blocked');
    let said = '';
    for (const started = Date.now(); Date.now() - started < 90_000;) {
      await page.reload();
      await page.getByRole('heading', { level: 1, name: 'Studio' }).waitFor();
      await page.getByRole('tab', { name: 'Faces' }).click();
      // With an input chosen, only the missing engine can keep the button disabled.
      await page.getByLabel('Input image').setInputFiles({
        name: 'portrait.png',
        mimeType: 'image/png',
        buffer: await portrait(),
      });
      await page.waitForTimeout(1000);
      said = (await blocked.count()) ? ((await blocked.textContent()) ?? '') : '';
      if (said) break;
      await page.waitForTimeout(4000);
    }
    expect(said).toMatch(/Automatic1111/);
    expect(await run.isDisabled()).toBe(true);
    const before = await balance();
    await run.click({ force: true }).catch(() => undefined);
    const extras = engine.requests.filter((r) => r.url.startsWith('/sdapi/v1/extra-single-image'));
    expect(extras).toHaveLength(1);
    expect(await balance()).toBe(before);
  }, 150_000);
});
