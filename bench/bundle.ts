/**
 * Bundle figures: the shipped CDN build's minified and gzip -9 sizes (its entry and chunks, counted
 * as `npm run size` counts them: before the first render, and in total), the same for sip.js + lit alone
 * (bundled exactly as rollup.config.mjs bundles the product: node-resolve + terser), and where the
 * product's bytes go, per source group.
 *
 * The breakdown rebuilds the bundle exactly as rollup.config.mjs does, with a source map: every byte
 * of its output (entry and chunks) is attributed to the source file the map points at, each group's bytes are gzipped on
 * their own, and the group figures are scaled to the rebuilt bundle's real gzip size (compressing
 * groups apart loses the matches between them, so raw per-group figures add up to a bit more).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { rollup, type Plugin } from 'rollup';
import resolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import typescript from '@rollup/plugin-typescript';
import { bundleSizes } from '../scripts/bundle-files.mjs';

export interface Size {
  minified: number;
  gzip: number;
}

export interface GroupShare {
  group: string;
  /** Minified bytes in the bundle. */
  minified: number;
  /** Share of the (rebuilt) bundle's gzip size. */
  gzip: number;
}

export interface BundleReport {
  /** The entry and every chunk, each file counted on its own. */
  bundle: Size;
  /** What a plain phone loads before its first render: the entry and its static imports. */
  firstRender: Size;
  /** Each file of the build, biggest first. */
  chunks: (Size & { file: string; firstRender: boolean })[];
  /** The same build made here (differs from `bundle` only when dist/ is stale). */
  rebuilt: Size;
  budget: { firstRenderGzip: number; totalGzip: number };
  baseline: { sipjs: Size; lit: Size; sipjsAndLit: Size; sipjsSubmodules: Size };
  /** The shipped build (entry and chunks) minus sip.js + lit alone. */
  productOverBaseline: Size;
  groups: GroupShare[];
  /** The biggest single source files (minified bytes in the bundle). */
  topFiles: { file: string; minified: number }[];
  goalGzip: number;
}

const ROOT = path.resolve(import.meta.dirname, '..');
const GOAL_GZIP = 62 * 1024;

function size(code: string | Buffer): Size {
  return { minified: Buffer.byteLength(code), gzip: gzipSync(code, { level: 9 }).length };
}

/** rollup + terser exactly as rollup.config.mjs makes dist/soft-phone.bundle.js, from an inline entry. */
async function rollupSize(entry: string): Promise<Size> {
  const virtual: Plugin = {
    name: 'bench-entry',
    resolveId: (id) => (id === '\0bench-entry' ? id : null),
    load: (id) => (id === '\0bench-entry' ? entry : null),
  };
  const bundle = await rollup({
    input: '\0bench-entry',
    plugins: [virtual, resolve({ browser: true, rootDir: ROOT }), terser({ ecma: 2020, module: true, compress: { passes: 2 }, format: { comments: false } })],
    onwarn: () => undefined,
  });
  try {
    const { output } = await bundle.generate({ format: 'es' });
    return size(output[0].code);
  } finally {
    await bundle.close();
  }
}

// The same imports the product makes: a phone needs UserAgent, Registerer and Inviter; the element, lit.
const SIPJS_ENTRY = `export { UserAgent, Registerer, Inviter } from 'sip.js';`;
const LIT_ENTRY = `export { LitElement, html, css, nothing } from 'lit';`;
// What a phone needs from SIP.js, imported from the modules that define it instead of the package index.
const SIPJS_SUBMODULES_ENTRY = [
  `export { UserAgent } from 'sip.js/lib/api/user-agent.js';`,
  `export { Registerer } from 'sip.js/lib/api/registerer.js';`,
  `export { Inviter } from 'sip.js/lib/api/inviter.js';`,
].join('\n');

/** Output terser maps to no source: mostly template-literal text (CSS, HTML parts) and glue. */
const UNMAPPED = 'unmapped (CSS/template text, glue)';

function groupOf(file: string): string {
  if (file === UNMAPPED) return UNMAPPED;
  const f = file.replace(/\\/g, '/');
  const sip = /node_modules\/sip\.js\/lib\/(.*)$/.exec(f);
  if (sip) {
    const rest = sip[1] ?? '';
    if (rest.startsWith('grammar/')) return 'sip.js grammar (parser)';
    if (rest.startsWith('core/')) return 'sip.js core';
    if (rest.startsWith('api/')) return 'sip.js api';
    if (rest.startsWith('platform/web/session-description-handler/')) return 'sip.js web SDH';
    if (rest.startsWith('platform/web/transport/')) return 'sip.js web transport';
    if (rest.startsWith('platform/web/')) return `sip.js web ${rest.split('/')[2] ?? ''}`.trim();
    return 'sip.js other';
  }
  if (/node_modules\/(lit|lit-html|lit-element|@lit)\//.test(f)) return 'lit';
  if (f.includes('node_modules/')) return 'other packages';
  const src = /(?:^|\/)src\/(.*)$/.exec(f);
  if (src) {
    const rest = src[1] ?? '';
    const dir = rest.includes('/') ? rest.split('/')[0] : undefined;
    if (dir) return `src/${dir}`;
    if (rest.startsWith('soft-phone.component')) return 'src/soft-phone.component';
    if (rest.startsWith('soft-phone.styles')) return 'src/soft-phone.styles';
    return 'src/(other top-level)';
  }
  return 'other';
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Decodes one source-map mappings line into [generated column, source index] pairs. */
function decodeLine(line: string, state: { source: number }): [number, number][] {
  const out: [number, number][] = [];
  let col = 0;
  for (const segment of line.split(',')) {
    if (!segment) continue;
    const values: number[] = [];
    let value = 0;
    let shift = 0;
    for (const ch of segment) {
      const digit = B64.indexOf(ch);
      value += (digit & 31) << shift;
      if (digit & 32) shift += 5;
      else {
        values.push(value & 1 ? -(value >>> 1) : value >>> 1);
        value = 0;
        shift = 0;
      }
    }
    col += values[0] ?? 0;
    if (values.length >= 4) {
      state.source += values[1] ?? 0;
      out.push([col, state.source]);
    } else out.push([col, -1]);
  }
  return out;
}

/**
 * Builds src/index.ts exactly as rollup.config.mjs does for dist/soft-phone.bundle.js, with a source
 * map through TypeScript and terser, and attributes every output byte to its source file.
 */
async function breakdown(): Promise<{ size: Size; groups: Map<string, { text: string[]; minified: number }>; files: Map<string, number> }> {
  const bundle = await rollup({
    input: path.join(ROOT, 'src/index.ts'),
    plugins: [
      resolve({ browser: true, rootDir: ROOT }),
      typescript({
        tsconfig: path.join(ROOT, 'tsconfig.build.json'),
        declaration: false,
        emitDeclarationOnly: false,
        noEmit: false,
        outDir: path.join(ROOT, 'bench/.out'),
        sourceMap: true,
        inlineSources: false,
      }),
      terser({ ecma: 2020, module: true, compress: { passes: 2 }, format: { comments: false } }),
    ],
    onwarn: () => undefined,
  });
  const groups = new Map<string, { text: string[]; minified: number }>();
  const files = new Map<string, number>();
  const total: Size = { minified: 0, gzip: 0 };
  const add = (file: string, text: string): void => {
    const group = groupOf(file);
    const g = groups.get(group) ?? { text: [], minified: 0 };
    g.text.push(text);
    g.minified += Buffer.byteLength(text);
    groups.set(group, g);
    files.set(file, (files.get(file) ?? 0) + Buffer.byteLength(text));
  };
  try {
    const { output } = await bundle.generate({ format: 'es', sourcemap: true, chunkFileNames: 'bundle-chunks/[name]-[hash].js' });
    for (const chunk of output) {
      if (chunk.type !== 'chunk') continue;
      if (!chunk.map) throw new Error(`rollup made no source map for ${chunk.fileName}`);
      const { sources, mappings } = chunk.map;
      // as shipped: without the source map comment the map adds
      const one = size(chunk.code.replace(/\n\/\/# sourceMappingURL=\S*\s*$/, ''));
      total.minified += one.minified;
      total.gzip += one.gzip;
      const lines = chunk.code.split('\n');
      const state = { source: 0 };
      mappings.split(';').forEach((mapping, i) => {
        const line = lines[i] ?? '';
        const segments = decodeLine(mapping, state);
        if (segments.length === 0) {
          add(UNMAPPED, line);
          return;
        }
        add(UNMAPPED, line.slice(0, segments[0]?.[0] ?? 0));
        segments.forEach(([col, source], k) => {
          const end = segments[k + 1]?.[0] ?? line.length;
          add(source >= 0 ? (sources[source] ?? UNMAPPED) : UNMAPPED, line.slice(col, end));
        });
      });
    }
  } finally {
    await bundle.close();
  }
  return { size: total, groups, files };
}

/** `entry`: the build to measure (default dist/soft-phone.bundle.js), with the chunks it imports. */
export async function bundleReport(entry: string = path.join(ROOT, 'dist/soft-phone.bundle.js')): Promise<BundleReport> {
  const shipped = bundleSizes(entry);
  const bundle = { minified: shipped.total.minified, gzip: shipped.total.gzip };
  const budget = JSON.parse(readFileSync(path.join(ROOT, 'size-budget.json'), 'utf8')) as BundleReport['budget'];
  const [sipjs, lit, sipjsAndLit, sipjsSubmodules] = await Promise.all([
    rollupSize(SIPJS_ENTRY),
    rollupSize(LIT_ENTRY),
    rollupSize(`${SIPJS_ENTRY}\n${LIT_ENTRY}`),
    rollupSize(SIPJS_SUBMODULES_ENTRY),
  ]);
  const { size: rebuilt, groups, files } = await breakdown();
  const raw = [...groups.entries()].map(([group, g]) => ({ group, minified: g.minified, gzip: gzipSync(g.text.join(''), { level: 9 }).length }));
  const rawTotal = raw.reduce((s, g) => s + g.gzip, 0);
  const shares = raw
    .map((g) => ({ group: g.group, minified: g.minified, gzip: Math.round((g.gzip / rawTotal) * rebuilt.gzip) }))
    .sort((a, b) => b.gzip - a.gzip);
  const topFiles = [...files.entries()]
    .map(([file, minified]) => ({ file: file.replace(/^(\.\.\/)+/, '').replace(/^.*node_modules\//, ''), minified }))
    .sort((a, b) => b.minified - a.minified)
    .slice(0, 15);
  return {
    bundle,
    firstRender: { minified: shipped.firstRender.minified, gzip: shipped.firstRender.gzip },
    chunks: shipped.files
      .map(({ file, minified, gzip, firstRender }) => ({ file: path.relative(path.dirname(entry), file), minified, gzip, firstRender }))
      .sort((a, b) => b.gzip - a.gzip),
    rebuilt,
    budget,
    baseline: { sipjs, lit, sipjsAndLit, sipjsSubmodules },
    productOverBaseline: { minified: bundle.minified - sipjsAndLit.minified, gzip: bundle.gzip - sipjsAndLit.gzip },
    groups: shares,
    topFiles,
    goalGzip: GOAL_GZIP,
  };
}

// `tsx bench/bundle.ts` prints the bundle report alone.
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const report = await bundleReport();
  console.log(JSON.stringify(report, null, 2));
}
