import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** The opsfleet server the dev and preview servers forward `/api` to. */
const api = process.env.OPSFLEET_API ?? 'http://127.0.0.1:8080';
const proxy = { '/api': { target: api, changeOrigin: false } };

export default defineConfig({
  base: '/',
  plugins: [react()],
  server: { proxy },
  preview: { proxy },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // antd and React make one large vendor chunk; the pages themselves are split out.
    chunkSizeWarningLimit: 1200,
  },
});
