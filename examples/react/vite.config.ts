import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  // Served from any folder (the lab serves it at /examples/react/dist/).
  base: './',
  plugins: [react()],
  // This example builds against the repository's own build; an application that installed the
  // package (`npm install soft-phone`) needs no alias.
  resolve: { alias: { 'soft-phone': fileURLToPath(new URL('../../dist/index.js', import.meta.url)) } },
  // One chunk: the phone (Lit, SIP.js) and React, about 610 KB minified, 170 KB gzip.
  // No timing warnings: on a busy machine they say nothing about the app.
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 700,
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
  logLevel: 'warn',
});
