/* global performance */
// `npm run examples`: builds the framework examples against dist/ (run `npm run build` first):
// the React example's JSX types from custom-elements.json, a type check of the React example with
// them, then a Vite build of examples/react and examples/vue into their dist/ folders.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { jsxTypes } from './jsx-types.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const started = performance.now();
const took = (t) => `${((performance.now() - t) / 1000).toFixed(1)} s`;

const manifest = JSON.parse(readFileSync(path.join(ROOT, 'custom-elements.json'), 'utf8'));
writeFileSync(path.join(ROOT, 'examples/react/src/soft-phone-jsx.d.ts'), jsxTypes(manifest));
let t = performance.now();
execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'examples/react'], { cwd: ROOT, stdio: 'inherit' });
process.stdout.write(`examples/react: JSX types from custom-elements.json, type check ${took(t)}\n`);
for (const name of ['react', 'vue']) {
  t = performance.now();
  const root = path.join(ROOT, 'examples', name);
  await build({ root, configFile: path.join(root, 'vite.config.ts') });
  process.stdout.write(`examples/${name}: built in ${took(t)} (examples/${name}/dist/)\n`);
}
process.stdout.write(`examples: ${took(started)}\n`);
