import { existsSync, statSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type LaunchOptions } from 'playwright-core';

/** Flags every launch uses: headless, no sandbox (CI runs as root), and no calls home. */
export const chromiumArgs = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const debianChromium = '/usr/bin/chromium';

/**
 * The Chromium to test with: `CHROMIUM_PATH`, else Debian's `/usr/bin/chromium`, else the
 * binary shipped inside the npm package `@sparticuz/chromium` (unpacked to the temp folder on
 * first use, about 1–2 s). Throws with what is missing; never returns a path that is not there.
 */
export async function chromiumExecutable(): Promise<string> {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH=${fromEnv} does not exist`);
    return fromEnv;
  }
  if (existsSync(debianChromium) && isExecutableFile(debianChromium)) return debianChromium;
  const sparticuz = (await import('@sparticuz/chromium')).default;
  const path = await sparticuz.executablePath();
  if (!path || !existsSync(path)) {
    throw new Error(
      'no Chromium: set CHROMIUM_PATH, install Debian chromium, or run `npm install` (it ships @sparticuz/chromium)',
    );
  }
  return path;
}

/** `/dev/null` bind-mounted over the Debian binary (the bare-machine check) is not Chromium. */
function isExecutableFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export async function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: await chromiumExecutable(),
    args: chromiumArgs,
    ...options,
  });
}

export async function launchPersistentChromium(
  profileDir: string,
  options: Parameters<typeof chromium.launchPersistentContext>[1] = {},
): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: await chromiumExecutable(),
    args: chromiumArgs,
    ...options,
  });
}
