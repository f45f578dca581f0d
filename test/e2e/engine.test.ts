/**
 * Settings → Image engine, end to end: the embedded server (PGlite) started with a per-launch
 * operator secret as `npm start` does, the app in browser mode, Chromium, and protocol-faithful
 * stand-ins of ComfyUI and OpenAI's images API. Connect, list models, generate with progress and
 * previews, cancel, an engine failure that releases the hold; a key that never comes back.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page, Response } from 'playwright-core';
import { startBrowserHost } from '../../main/browser-mode/host';
import { readConfig } from '../../server/config';
import { type ComfyStandIn, comfyStandIn } from '../../server/engines/generate/stand-ins/comfyui';
import { type OpenAIStandIn, openaiStandIn } from '../../server/engines/generate/stand-ins/openai';
import { type RunningServer, startServer } from '../../server/start';
import {
  axeSerious,
  buildRendererIfStale,
  launchChromium,
  shot,
  tempDir,
  topBarBalance,
  waitShowing,
} from './harness';

const KEY = `sk-e2e-${randomBytes(12).toString('hex')}`;
let server: RunningServer | null = null;
let host: Awaited<ReturnType<typeof startBrowserHost>> | null = null;
let remoteHost: Awaited<ReturnType<typeof startBrowserHost>> | null = null;
let browser: Browser | null = null;
let page: Page;
let comfy: ComfyStandIn;
let openai: OpenAIStandIn;
const serverDir = tempDir('easel-e2e-engine-server-');
const appDir = tempDir('easel-e2e-engine-app-');
const remoteDir = tempDir('easel-e2e-engine-remote-');
/** Everything the server logged, and everything this process printed. */
const logs: string[] = [];
/** Every IPC answer the renderer received. */
const ipcBodies: string[] = [];
const restoreConsole: Array<() => void> = [];

const balance = (): Promise<number> => topBarBalance(page);

async function go(label: string): Promise<void> {
  await page.getByRole('navigation').getByRole('button', { name: label, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: label }).waitFor();
}

/** What main pushed to this renderer over the browser-mode event stream, read in the page. */
const engineEvents = () =>
  page.evaluate(
    () =>
      (window as unknown as { __engine: { stages: string[]; previews: number; states: string[] } })
        .__engine,
  );

beforeAll(async () => {
  for (const level of ['log', 'info', 'warn', 'error'] as const) {
    const original = console[level];
    console[level] = (...args: unknown[]) => {
      logs.push(args.map(String).join(' '));
      original(...args);
    };
    restoreConsole.push(() => (console[level] = original));
  }
  comfy = await comfyStandIn({ stepMs: 60 });
  openai = await openaiStandIn({ key: KEY });
  const rendererDir = buildRendererIfStale();
  const operatorSecret = randomBytes(32).toString('base64url');
  server = await startServer(
    readConfig({ EASEL_PORT: '0', EASEL_DATA_DIR: serverDir, EASEL_LOG: 'json' }),
    {
      operatorSecret,
      env: { EASEL_DATA_DIR: serverDir },
      logDestination: { write: (line) => void logs.push(line) },
    },
  );
  host = await startBrowserHost({
    serverUrl: server.url,
    dataDir: appDir,
    rendererDir,
    operatorSecret,
  });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  page.on('response', (res: Response) => {
    if (new URL(res.url()).pathname.startsWith('/ipc/'))
      void res.text().then(
        (t) => ipcBodies.push(t),
        () => undefined,
      );
  });
  await page.goto(host.url);
  await page.getByLabel('Email').fill(`engine-${Date.now()}@example.com`);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Studio' }).waitFor();
  for (const end = Date.now() + 20_000; (await balance()) < 20 && Date.now() < end;)
    await page.waitForTimeout(100);
  // Listen to main's event stream like the renderer does, and keep what the engine said.
  await page.evaluate(() => {
    const store = { stages: [] as string[], previews: 0, states: [] as string[] };
    (window as unknown as { __engine: typeof store }).__engine = store;
    const token = sessionStorage.getItem('easel.browserToken') ?? '';
    const source = new EventSource(`/events?token=${encodeURIComponent(token)}`);
    source.addEventListener('jobUpdate', (e) => {
      const job = JSON.parse((e as MessageEvent<string>).data) as {
        stage: string | null;
        state: string;
      };
      if (job.stage) store.stages.push(job.stage);
      store.states.push(job.state);
    });
    source.addEventListener('jobPreview', (e) => {
      const p = JSON.parse((e as MessageEvent<string>).data) as { mime: string; base64: string };
      if (p.mime === 'image/jpeg' && p.base64.length > 100) store.previews++;
    });
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await host?.close();
  await remoteHost?.close();
  await server?.close();
  await comfy?.close();
  await openai?.close();
  for (const restore of restoreConsole) restore();
  for (const dir of [serverDir, appDir, remoteDir]) rmSync(dir, { recursive: true, force: true });
});

describe('Settings → Image engine, end to end (embedded server, browser mode, Chromium)', () => {
  it('connects a ComfyUI: a wrong address says why, the right one says what answered and lists its models', async () => {
    await go('Settings');
    const section = page.getByRole('region', { name: 'Image engine' });
    await section
      .getByTestId('engine-report')
      .getByText(/not AI/)
      .waitFor();
    await section.getByLabel('ComfyUI').check();
    const dead = await comfyStandIn();
    const deadUrl = dead.baseUrl;
    await dead.close();
    await section.getByLabel('Address').fill(deadUrl);
    await section.getByRole('button', { name: 'Test connection' }).click();
    await section
      .getByTestId('engine-report')
      .getByText(/nothing is listening there \(connection refused\)/)
      .waitFor();
    await shot(page, '20-engine-refused');
    await section.getByLabel('Address').fill(comfy.baseUrl);
    await section.getByRole('button', { name: 'Test connection' }).click();
    await section
      .getByText(
        'ComfyUI 0.3.64 answered, on a GPU (NVIDIA GeForce RTX 3070, 8 GB), with 3 models.',
      )
      .waitFor();
    await expect
      .poll(() => section.getByTestId('capability-ultra').textContent())
      .toContain('flux1-schnell-fp8.safetensors');
    await section.getByRole('button', { name: 'Save and use' }).click();
    await section.getByText('Saved: new jobs use this engine.').waitFor();
    await section.getByText(/^In use:/).waitFor();
    expect(await section.getByTestId('capability-standard').textContent()).toContain(
      'v1-5-pruned-emaonly.safetensors',
    );
    await shot(page, '21-engine-comfyui');
    expect(await axeSerious(page)).toEqual([]);
  });

  it('generates on ComfyUI with the sampler’s steps and previews reaching the renderer', async () => {
    await go('Studio');
    const before = await balance();
    await page.getByLabel('Prompt', { exact: true }).fill('a lighthouse in the fog');
    await page.getByLabel('Model').selectOption('standard');
    const q = Number(await page.getByTestId('quote-credits').textContent());
    await page.getByRole('button', { name: 'Generate 1 image' }).click();
    await expect
      .poll(
        async () => (await engineEvents()).stages.some((s) => /^Sampling step \d+ of 20$/.test(s)),
        { timeout: 20_000 },
      )
      .toBe(true);
    await shot(page, '22-engine-generating');
    await expect.poll(balance, { timeout: 30_000 }).toBe(before - q);
    const seen = await engineEvents();
    expect(seen.previews).toBeGreaterThan(0);
    expect(seen.states).toContain('succeeded');
    expect(comfy.ran).toHaveLength(1);
  });

  it('cancel reaches ComfyUI (its prompt is interrupted) and the hold is released', async () => {
    const before = await balance();
    await page.getByLabel('Steps').fill('150');
    await page.getByRole('button', { name: 'Generate 1 image' }).click();
    const running = page.getByTestId('job-running');
    await running.waitFor({ timeout: 20_000 });
    await expect
      .poll(async () => (await engineEvents()).stages.some((s) => /of 150$/.test(s)), {
        timeout: 20_000,
      })
      .toBe(true);
    // Cancel sits on the run card (the result panel above shows the progress).
    await page.getByTestId('run-running').getByRole('button', { name: 'Cancel' }).click();
    await page.getByTestId('job-cancelled').first().waitFor({ timeout: 20_000 });
    await expect.poll(() => comfy.interrupted.length, { timeout: 10_000 }).toBe(1);
    await expect.poll(balance, { timeout: 20_000 }).toBe(before);
  });

  it('an engine failure fails the job with a sentence and releases the hold', async () => {
    const before = await balance();
    await page.getByLabel('Steps').fill('20');
    comfy.failNextWithOutOfMemory();
    await page.getByRole('button', { name: 'Generate 1 image' }).click();
    const failed = page.getByTestId('job-failed').first();
    await failed.waitFor({ timeout: 30_000 }).catch(async (error: unknown) => {
      // Say what the run cards show instead.
      console.error('run cards:', await page.locator('li.job').allTextContents());
      const rows = await server?.services.db.query(
        'select state, error_code, updated_at from jobs order by created_at desc limit 3',
      );
      console.error('jobs on the server:', rows?.rows, 'comfy ran', comfy.ran.length);
      throw error;
    });
    expect(await failed.textContent()).toMatch(
      /ComfyUI ran out of GPU memory in KSampler; try a smaller size or fewer steps\./,
    );
    await shot(page, '23-engine-failed');
    await expect.poll(balance, { timeout: 20_000 }).toBe(before);
  });

  it('an OpenAI key goes in once and never comes back: not in IPC answers, logs or IndexedDB', async () => {
    await go('Settings');
    const section = page.getByRole('region', { name: 'Image engine' });
    await section.getByLabel('OpenAI-compatible').check();
    await section.getByLabel('Address').fill(openai.baseUrl);
    await section.getByLabel('API key').fill('sk-not-the-right-key');
    await section.getByRole('button', { name: 'Test connection' }).click();
    await section
      .getByTestId('engine-report')
      .getByText(/refused the key .*Check the key in Settings → Image engine\./)
      .waitFor();
    await section.getByLabel('API key').fill(KEY);
    await section.getByRole('button', { name: 'Test connection' }).click();
    await section.getByText('OpenAI-compatible images API answered, with 4 models.').waitFor();
    await section.getByRole('button', { name: 'Save and use' }).click();
    await section.getByText('Saved: new jobs use this engine.').waitFor();
    expect(await section.getByLabel('API key').inputValue()).toBe('');
    expect(await section.getByLabel('API key').getAttribute('placeholder')).toMatch(/^Stored/);
    expect(await section.getByTestId('capability-pro').textContent()).toContain('gpt-image-1');
    await shot(page, '24-engine-openai');
    expect(await axeSerious(page)).toEqual([]);
    // A generation with the key works (the server has it) …
    await go('Studio');
    const before = await balance();
    await page.getByLabel('Prompt', { exact: true }).fill('a lighthouse in the fog');
    await page.getByLabel('Model').selectOption('pro');
    const q = Number(await page.getByTestId('quote-credits').textContent());
    await page.getByRole('button', { name: 'Generate 1 image' }).click();
    await expect.poll(balance, { timeout: 30_000 }).toBe(before - q);
    expect(openai.served).toBeGreaterThan(0);
    // … and it is nowhere the renderer or a log can see it.
    await page.reload();
    await page.getByRole('heading', { name: 'Studio' }).waitFor();
    const stored = await page.evaluate(async () => {
      const out: string[] = [];
      for (const info of await indexedDB.databases()) {
        if (!info.name) continue;
        const db = await new Promise<IDBDatabase>((resolve, reject) => {
          const r = indexedDB.open(info.name ?? '');
          r.onsuccess = () => resolve(r.result);
          r.onerror = () => reject(r.error);
        });
        for (const name of [...db.objectStoreNames]) {
          const all = await new Promise<unknown[]>((resolve, reject) => {
            const r = db.transaction(name).objectStore(name).getAll();
            r.onsuccess = () => resolve(r.result);
            r.onerror = () => reject(r.error);
          });
          out.push(JSON.stringify(all));
        }
        db.close();
      }
      return (
        out.join('\n') + JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })
      );
    });
    expect(stored.length).toBeGreaterThan(1000); // the ledger cache is there: the dump is real
    expect(stored).not.toContain(KEY);
    expect(ipcBodies.some((b) => b.includes('"hasKey":true'))).toBe(true);
    expect(ipcBodies.join('\n')).not.toContain(KEY);
    expect(logs.some((l) => l.includes('/v1/operator/engine'))).toBe(true); // the server did log requests
    expect(logs.join('\n')).not.toContain(KEY);
    expect(logs.join('\n')).not.toContain('sk-not-the-right-key');
  });

  it('with a remote Easel server, the section shows what that server offers instead', async () => {
    remoteHost = await startBrowserHost({
      serverUrl: server?.url ?? '',
      dataDir: remoteDir,
      rendererDir: buildRendererIfStale(),
    });
    const remote = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
    await remote.goto(remoteHost.url);
    await remote.getByLabel('Email').fill(`remote-${Date.now()}@example.com`);
    await remote.getByLabel('Password').fill('correct horse battery');
    await remote.getByRole('button', { name: 'Create account' }).click();
    await remote.getByRole('heading', { name: 'Studio' }).waitFor();
    await remote
      .getByRole('navigation')
      .getByRole('button', { name: 'Settings', exact: true })
      .click();
    const section = remote.getByRole('region', { name: 'Image engine' });
    await waitShowing(remote, section.getByText(/its operator chooses the image engine there/));
    await section.getByText('OpenAI-compatible images API', { exact: true }).waitFor();
    expect(await section.getByRole('radio').count()).toBe(0);
    expect(await section.getByTestId('capability-ultra').textContent()).toContain('gpt-image-1.5');
    await shot(remote, '25-engine-remote');
    expect(await axeSerious(remote)).toEqual([]);
    await remote.close();
  });
});
