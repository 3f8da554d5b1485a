/**
 * The web UI (/ui): built by `npm run build` (`vite build ui`) into dist/ui, which the service serves
 * as static files (src/modules/ui). Paths here are relative to this folder.
 */
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/ui/',
  build: {
    outDir: '../dist/ui',
    emptyOutDir: true,
    // One small bundle, no inline scripts or styles: the Content-Security-Policy allows 'self' only.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: true,
    target: 'es2022',
  },
  server: {
    // `npx vite ui` while `npm run dev` runs the API on port 3000.
    proxy: { '/v1': 'http://127.0.0.1:3000' },
  },
});
