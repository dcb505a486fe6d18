import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Built by `npm run build` (vite build apps/web) into dist/web, which the API serves. `npx vite apps/web` runs a
// dev server that forwards the API's paths to an API on port 3000 (PUBLIC_URL=http://localhost:5173 there).
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: '../../dist/web',
    emptyOutDir: true,
    // No inline polyfill script: the Content-Security-Policy allows our own script files only.
    modulePreload: { polyfill: false },
    sourcemap: true,
  },
  server: {
    proxy: {
      '/v1': { target: 'http://localhost:3000', ws: true },
    },
  },
});
