import { describe, expect, it } from 'vitest';
import { rendererCsp } from '../browser-mode/csp';
import { isAllowedExternalUrl } from '../core/external-url';
import { APP_ORIGIN, APP_URL } from './app-origin';
import { buildWindowOptions } from './window-options';

// Imports only modules that need no Electron binary (electron types are erased).
describe('Electron window security settings', () => {
  const options = buildWindowOptions('/app/preload.cjs');
  const web = options.webPreferences ?? {};

  it('isolates and sandboxes the renderer with no Node access', () => {
    expect(web.contextIsolation).toBe(true);
    expect(web.sandbox).toBe(true);
    expect(web.nodeIntegration).toBe(false);
    expect(web.nodeIntegrationInWorker).toBe(false);
    expect(web.nodeIntegrationInSubFrames).toBe(false);
    expect(web.webSecurity).toBe(true);
    expect(web.allowRunningInsecureContent).toBe(false);
    expect(web.webviewTag).toBe(false);
    expect(web.experimentalFeatures).toBe(false);
    expect(web.preload).toBe('/app/preload.cjs');
  });

  it('loads the renderer from the custom app:// origin, never file://', () => {
    expect(APP_URL.startsWith(`${APP_ORIGIN}/`)).toBe(true);
    expect(APP_ORIGIN).toBe('app://easel');
  });

  it('has a strict Content-Security-Policy', () => {
    expect(rendererCsp).toContain("default-src 'self'");
    expect(rendererCsp).toContain("script-src 'self'");
    expect(rendererCsp).not.toMatch(/script-src[^;]*unsafe/);
    expect(rendererCsp).toContain("object-src 'none'");
  });

  it('opens only allow-listed https URLs externally', () => {
    expect(isAllowedExternalUrl('https://checkout.stripe.com/c/pay/cs_1', null)).toBe(true);
    expect(isAllowedExternalUrl('http://checkout.stripe.com/c/pay/cs_1', null)).toBe(false);
    expect(isAllowedExternalUrl('https://evil.example/', null)).toBe(false);
    expect(isAllowedExternalUrl('file:///etc/passwd', null)).toBe(false);
    expect(isAllowedExternalUrl('javascript:alert(1)', null)).toBe(false);
    expect(isAllowedExternalUrl('https://user:pw@easel.app/', null)).toBe(false);
    // The configured server's own pages (the sandbox checkout) are allowed.
    expect(
      isAllowedExternalUrl('http://127.0.0.1:4780/sandbox/checkout/1', 'http://127.0.0.1:4780'),
    ).toBe(true);
  });
});
