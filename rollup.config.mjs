// Two builds from one source tree, each an entry file per entry plus the chunks it loads on first use
// (SIP.js, provisioning, the history list, the transfer panel, the languages other than English):
//  - dist/index.js, dist/component.js: ESM for bundlers; lit and sip.js stay external imports;
//    chunks in dist/chunks/.
//  - dist/soft-phone.bundle.js: self-contained, minified ES modules for a plain <script type="module">;
//    loading the entry alone defines the element; its chunks sit beside it in dist/bundle-chunks/.
//  - dist/monitor.js and dist/soft-phone-monitor.bundle.js: the same two for <soft-phone-monitor>, apart.
import resolve from '@rollup/plugin-node-resolve';
import typescript from '@rollup/plugin-typescript';
import terser from '@rollup/plugin-terser';

/** npm entries: output name -> source. */
const ENTRIES = {
  index: 'src/index.ts',
  component: 'src/component.ts',
};

/** CDN bundles: output name -> source. */
const BUNDLES = {
  'soft-phone.bundle': 'src/index.ts',
};

const ts = () =>
  typescript({ tsconfig: './tsconfig.build.json', declaration: false, emitDeclarationOnly: false, noEmit: false, outDir: 'dist' });
const external = (id) => id === 'lit' || id.startsWith('lit/') || id.startsWith('@lit/') || id === 'sip.js' || id.startsWith('sip.js/');

export default [
  {
    input: ENTRIES,
    external,
    plugins: [ts()],
    output: { dir: 'dist', format: 'es', sourcemap: true, entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
  },
  {
    input: BUNDLES,
    plugins: [resolve({ browser: true }), ts(), terser({ ecma: 2020, module: true, compress: { passes: 2 }, format: { comments: false } })],
    output: { dir: 'dist', format: 'es', sourcemap: false, entryFileNames: '[name].js', chunkFileNames: 'bundle-chunks/[name]-[hash].js' },
  },
  // The supervisor's <soft-phone-monitor>: an entry of its own, so a phone page never loads it.
  {
    input: 'src/monitor/index.ts',
    external: (id) => id === 'lit' || id.startsWith('lit/') || id.startsWith('@lit/'),
    plugins: [ts()],
    output: { file: 'dist/monitor.js', format: 'es', sourcemap: true },
  },
  {
    input: 'src/monitor/index.ts',
    plugins: [resolve({ browser: true }), ts(), terser({ ecma: 2020, module: true, compress: { passes: 2 }, format: { comments: false } })],
    output: { file: 'dist/soft-phone-monitor.bundle.js', format: 'es', sourcemap: false },
  },
];
