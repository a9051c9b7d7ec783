// custom-elements.json lists the public API only: the element modules, their public members, paths
// to what the package ships (dist/*.js), no private or internal members and no stray locals.
const ELEMENT_FILES = ['src/soft-phone.component.ts', 'src/soft-phone.ts', 'src/monitor/monitor.component.ts', 'src/monitor/soft-phone-monitor.ts'];

const isPublic = (m) => m.privacy !== 'private' && m.privacy !== 'protected' && !m.name.startsWith('#') && !m.name.startsWith('_');
// Where each element file ships: the class without a tag in dist/component.js, the defining entry in
// dist/index.js; the monitor (class and definition) in dist/monitor.js.
const SHIPPED = {
  'src/soft-phone.component': 'dist/component.js',
  'src/soft-phone': 'dist/index.js',
  'src/monitor/monitor.component': 'dist/monitor.js',
  'src/monitor/soft-phone-monitor': 'dist/monitor.js',
};
const toDist = (p) => SHIPPED[p.replace(/^\//, '').replace(/\.(ts|js)$/, '')] ?? p;

export default {
  globs: ELEMENT_FILES,
  outdir: '.',
  litelement: true,
  plugins: [
    {
      name: 'public-api-only',
      packageLinkPhase({ customElementsManifest }) {
        for (const mod of customElementsManifest.modules) {
          const exported = new Set((mod.exports ?? []).map((e) => e.declaration?.name ?? e.name));
          mod.declarations = (mod.declarations ?? []).filter((d) => exported.has(d.name));
          for (const d of mod.declarations) {
            // `@internal` members (the engine factory) are not part of the API either.
            if (d.members) d.members = d.members.filter((m) => isPublic(m) && !/@internal/.test(m.description ?? ''));
            if (d.attributes) d.attributes = d.attributes.filter((a) => !a.fieldName || d.members?.some((m) => m.name === a.fieldName));
          }
          mod.path = toDist(mod.path);
          for (const e of mod.exports ?? []) if (e.declaration?.module) e.declaration.module = toDist(e.declaration.module);
        }
      },
    },
  ],
};
