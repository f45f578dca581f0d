import { defineConfig } from 'vite';

// Root renderer/, output renderer/dist, relative base so the page loads from file:// or any path.
export default defineConfig({
  // vite.config runs in Node, but lint treats renderer/ as browser code: use Vite's own dirname.
  root: import.meta.dirname,
  base: './',
  esbuild: { jsx: 'automatic' },
  worker: { format: 'es' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // No inline scripts or eval: the page runs under a strict CSP.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
});
