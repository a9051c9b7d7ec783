// custom-elements.json lists the public API only: the element modules, their public members, paths
// to what the package ships (dist/*.js), no private or internal members and no stray locals.
const ELEMENT_FILES = ['src/soft-phone.component.ts', 'src/soft-phone.ts', 'src/monitor/monitor.component.ts', 'src/monitor/soft-phone-monitor.ts'];
// Base classes an element's public members are declared in: read so the element inherits them, then
// folded into the element (listed as its own members), since the package does not export them.
const BASE_FILES = ['src/element/properties.ts'];

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

/**
 * Drops the modules of BASE_FILES; what an element inherited from them (already copied into it by
 * the analyzer) becomes its own, and its superclass is the base class's superclass.
 */
function foldBaseClasses(manifest) {
  const isBase = (p) => typeof p === 'string' && BASE_FILES.includes(p.replace(/^\//, '').replace(/\.js$/, '.ts'));
  const bases = new Map(manifest.modules.filter((m) => isBase(m.path)).flatMap((m) => (m.declarations ?? []).map((d) => [d.name, d])));
  manifest.modules = manifest.modules.filter((m) => !isBase(m.path));
  for (const d of manifest.modules.flatMap((m) => m.declarations ?? [])) {
    for (const kind of ['attributes', 'members', 'events', 'cssParts', 'cssProperties', 'slots', 'cssStates']) {
      if (!d[kind]) continue;
      // the base's items first, as the class reads top down
      const inherited = d[kind].filter((item) => isBase(item.inheritedFrom?.module));
      for (const item of inherited) delete item.inheritedFrom;
      d[kind] = [...inherited, ...d[kind].filter((item) => !inherited.includes(item))];
    }
    while (d.superclass && isBase(d.superclass.module)) d.superclass = bases.get(d.superclass.name)?.superclass;
  }
}

export default {
  globs: [...ELEMENT_FILES, ...BASE_FILES],
  outdir: '.',
  litelement: true,
  plugins: [
    {
      name: 'public-api-only',
      packageLinkPhase({ customElementsManifest }) {
        foldBaseClasses(customElementsManifest);
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
