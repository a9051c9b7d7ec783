// Two outputs from one source tree:
//  - dist/index.js: ESM for bundlers; lit and sip.js stay external imports.
//  - dist/soft-phone.bundle.js: one self-contained, minified ES module for a plain <script type="module">.
//  - dist/monitor.js and dist/soft-phone-monitor.bundle.js: the same two for <soft-phone-monitor>.
import resolve from '@rollup/plugin-node-resolve';
import typescript from '@rollup/plugin-typescript';
import terser from '@rollup/plugin-terser';

const ts = () =>
  typescript({ tsconfig: './tsconfig.build.json', declaration: false, emitDeclarationOnly: false, noEmit: false, outDir: 'dist' });

export default [
  {
    input: 'src/index.ts',
    external: (id) => id === 'lit' || id.startsWith('lit/') || id.startsWith('@lit/') || id === 'sip.js' || id.startsWith('sip.js/'),
    plugins: [ts()],
    output: { file: 'dist/index.js', format: 'es', sourcemap: true },
  },
  {
    input: 'src/index.ts',
    plugins: [resolve({ browser: true }), ts(), terser({ ecma: 2020, module: true, compress: { passes: 2 }, format: { comments: false } })],
    output: { file: 'dist/soft-phone.bundle.js', format: 'es', sourcemap: false },
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
