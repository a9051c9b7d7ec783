// Two budgets for the CDN build (dist/soft-phone.bundle.js and the chunks beside it), kept in
// size-budget.json:
//  - firstRender: what a plain phone loads before its first render: the entry file and every file it
//    imports statically, transitively (a dynamic import() loads later, on first use);
//  - total: the entry and all its chunks (SIP.js, provisioning, history list, transfer panel, languages).
// Each file is counted gzip -9 on its own, as it travels. Lower a budget as the code shrinks; raise it
// only with a reason in the commit message.
// `--baseline` also prints sip.js + lit alone, bundled the same way (rollup + terser, ~10 s).
import { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { bundleSizes } from './bundle-files.mjs';

const budget = JSON.parse(readFileSync(new URL('../size-budget.json', import.meta.url), 'utf8'));
const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const kb = (n) => (n / 1024).toFixed(1) + ' KB';

const sizes = bundleSizes(path.join(dist, 'soft-phone.bundle.js'));
const firstGzip = sizes.firstRender.gzip;
const totalGzip = sizes.total.gzip;
const rel = (f) => path.relative(dist, f);
console.log(`before the first render (gzip -9): ${kb(firstGzip)} in ${sizes.firstRender.files.map(rel).join(', ')} (budget ${kb(budget.firstRenderGzip)})`);
console.log(`total, entry and every chunk (gzip -9): ${kb(totalGzip)} in ${sizes.total.files.length} files (budget ${kb(budget.totalGzip)})`);
for (const f of sizes.files.filter((f) => !f.firstRender).sort((a, b) => b.gzip - a.gzip)) console.log(`  on first use: ${rel(f.file)} ${kb(f.gzip)}`);

if (process.argv.includes('--baseline')) {
  const { rollup } = await import('rollup');
  const { default: resolve } = await import('@rollup/plugin-node-resolve');
  const { default: terser } = await import('@rollup/plugin-terser');
  // The imports the product makes, with the plugins rollup.config.mjs uses for the bundle.
  const entries = {
    'sip.js (UserAgent, Registerer, Inviter)': `export { UserAgent, Registerer, Inviter } from 'sip.js';`,
    lit: `export { LitElement, html, css, nothing } from 'lit';`,
  };
  entries['sip.js + lit'] = Object.values(entries).join('\n');
  for (const [name, entry] of Object.entries(entries)) {
    const bundle = await rollup({
      input: '\0entry',
      plugins: [
        { name: 'entry', resolveId: (id) => (id === '\0entry' ? id : null), load: (id) => (id === '\0entry' ? entry : null) },
        resolve({ browser: true }),
        terser({ ecma: 2020, module: true, compress: { passes: 2 }, format: { comments: false } }),
      ],
      onwarn: () => undefined,
    });
    const { output } = await bundle.generate({ format: 'es' });
    await bundle.close();
    const out = output[0].code;
    console.log(`  ${name}: ${kb(Buffer.byteLength(out))} minified, ${kb(gzipSync(out, { level: 9 }).length)} gzip -9`);
  }
}

const over = [
  ['before the first render', firstGzip, budget.firstRenderGzip],
  ['in total', totalGzip, budget.totalGzip],
].filter(([, size, max]) => size > max);
for (const [what, size, max] of over) console.error(`size: ${what} the bundle is ${size - max} bytes over its budget of ${max} bytes gzip`);
if (over.length) process.exit(1);
