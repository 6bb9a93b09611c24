import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `npm run dev -w @aperture/web` serves the UI on :5173 and forwards the API to a running server
// (APERTURE_API_URL, default the server's default address).
const api = process.env['APERTURE_API_URL'] ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      // ws: the lab terminal and desktop are WebSockets under /api; /labs is the lab HTTP proxy,
      // which moves a browser on to the page's own signed link under /lab-sessions.
      '/api': { target: api, changeOrigin: false, ws: true },
      '/labs': { target: api, changeOrigin: false },
      '/lab-sessions': { target: api, changeOrigin: false, ws: true }, // a lab page's own WebSockets
      '/healthz': api,
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
  },
});
