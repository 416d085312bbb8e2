// The console's build: `vite build console` (npm run console:build) writes console/dist, which
// `baton serve` serves at `/`. In development, `vite console` proxies the API to a running
// `baton serve` (BATON_URL, default http://127.0.0.1:3000).
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const api = process.env.BATON_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  // The dashboard's lazy chunk is mostly recharts (~460 KB minified, ~128 KB gzipped): it loads
  // only when the dashboard opens; the first load stays small (bench --console measures it).
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 500 },
  server: { proxy: { '/v1': { target: api, changeOrigin: false } } },
});
