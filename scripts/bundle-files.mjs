// The files of the CDN build and their sizes, as they travel: an entry file (dist/soft-phone.bundle.js)
// and the chunks it imports, statically (loaded before it runs) or with import() (loaded on first use).
// Each file is counted minified and gzip -9 on its own. Used by `npm run size` and the benchmark.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const IMPORT = /\bfrom\s*["'](\.{1,2}\/[^"']+)["']|\bimport\s*["'](\.{1,2}\/[^"']+)["']|\bimport\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g;

/** The relative files `file` imports: `static` (`import … from`, `export … from`, `import "…"`) and `dynamic` (`import("…")`). */
function imports(file) {
  const found = { static: [], dynamic: [] };
  for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
    (m[3] ? found.dynamic : found.static).push(path.resolve(path.dirname(file), m[1] ?? m[2] ?? m[3]));
  }
  return found;
}

/** `entry` and every file reachable from it through the given kinds of import. */
function closure(entry, kinds) {
  const seen = new Set([entry]);
  for (const file of seen) for (const kind of kinds) for (const dep of imports(file)[kind]) seen.add(dep);
  return [...seen];
}

/** One file's size: minified bytes and gzip -9 bytes. */
export function fileSize(file) {
  const code = readFileSync(file);
  return { minified: code.length, gzip: gzipSync(code, { level: 9 }).length };
}

/**
 * The entry `entry` and its chunks: `firstRender` (the entry and what it imports statically,
 * transitively), `total` (every file reachable, dynamic imports included), each with its files and
 * summed sizes, and `files`: every file with its size and whether the first render loads it.
 */
export function bundleSizes(entry) {
  const first = closure(entry, ['static']);
  const all = closure(entry, ['static', 'dynamic']);
  const files = all.map((file) => ({ file, ...fileSize(file), firstRender: first.includes(file) }));
  const sum = (list) => ({
    files: list,
    minified: files.filter((f) => list.includes(f.file)).reduce((n, f) => n + f.minified, 0),
    gzip: files.filter((f) => list.includes(f.file)).reduce((n, f) => n + f.gzip, 0),
  });
  return { firstRender: sum(first), total: sum(all), files };
}
