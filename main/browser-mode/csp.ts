/**
 * The renderer's Content-Security-Policy, the same in both transports: only our own scripts,
 * no eval, no plugins, no framing, network only back to our own origin. Inline styles are
 * allowed because React style props and Vite's CSS injection need them; inline scripts are not.
 */
export const rendererCsp = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
