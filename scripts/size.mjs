// Fails when the self-contained bundle grows past the budget kept in size-budget.json.
// Lower the budget as the bundle shrinks; raise it only with a reason in the commit message.
// `--baseline` also prints sip.js + lit alone, bundled the same way (rollup + terser, ~10 s).
import { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const budget = JSON.parse(readFileSync(new URL('../size-budget.json', import.meta.url), 'utf8'));
const file = new URL('../dist/soft-phone.bundle.js', import.meta.url);
const code = readFileSync(file);
const gzip = gzipSync(code, { level: 9 }).length;
const kb = (n) => (n / 1024).toFixed(1) + ' KB';
console.log(`dist/soft-phone.bundle.js: ${kb(code.length)} minified, ${kb(gzip)} gzip -9 (budget ${kb(budget.gzipBytes)})`);

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

if (gzip > budget.gzipBytes) {
  console.error(`size: the bundle is ${gzip - budget.gzipBytes} bytes over its budget of ${budget.gzipBytes} bytes gzip`);
  process.exit(1);
}
