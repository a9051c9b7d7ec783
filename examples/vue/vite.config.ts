import vue from '@vitejs/plugin-vue';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  // Served from any folder (the lab serves it at /examples/vue/dist/).
  base: './',
  plugins: [
    vue({
      template: {
        // <soft-phone> (and any other tag of the package) is a custom element, not a Vue component.
        compilerOptions: { isCustomElement: (tag) => tag.startsWith('soft-phone') },
      },
    }),
  ],
  // This example builds against the repository's own build; an application that installed the
  // package (`npm install soft-phone`) needs no alias.
  resolve: { alias: { 'soft-phone': fileURLToPath(new URL('../../dist/index.js', import.meta.url)) } },
  // One chunk: the phone (Lit, SIP.js) and Vue, about 500 KB minified.
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
