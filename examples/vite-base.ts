import { fileURLToPath } from 'node:url';
import type { UserConfig } from 'vite';

/** What both examples' Vite configs share; each adds its framework's plugin. */
export const exampleConfig: UserConfig = {
  // Served from any folder (the lab serves them at /examples/<name>/dist/).
  base: './',
  // The examples build against the repository's own build; an application that installed the
  // package (`npm install soft-phone`) needs no alias.
  resolve: { alias: { 'soft-phone': fileURLToPath(new URL('../dist/index.js', import.meta.url)) } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    reportCompressedSize: false,
    // One chunk: the phone (Lit, SIP.js) and the framework, 460-610 KB minified.
    chunkSizeWarningLimit: 700,
    // No timing warnings: on a busy machine they say nothing about the app.
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
  logLevel: 'warn',
};
