import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';
import { exampleConfig } from '../vite-base.js';

export default defineConfig({
  ...exampleConfig,
  plugins: [
    vue({
      template: {
        // <soft-phone> (and any other tag of the package) is a custom element, not a Vue component.
        compilerOptions: { isCustomElement: (tag) => tag.startsWith('soft-phone') },
      },
    }),
  ],
});
