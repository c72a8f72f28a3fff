/**
 * The folder rules of src/ (each folder's README says the same in words), checked in CI by
 * `npm run check:deps`. A folder may import itself, node's built-ins, the npm packages it needs and
 * the folders listed here; everything else is an error. scripts/check-folder-cycles.mjs checks that no
 * two folders import each other, even through others.
 */
const FOLDERS = {
  'src/util': [],
  'src/objects': [],
  'src/config': ['src/util'],
  'src/ports': ['src/objects'],
  'src/oam': ['src/util', 'src/objects', 'src/config'],
  'src/kube': ['src/ports', 'src/objects', 'src/util', 'src/config'],
  'src/metrics': ['src/ports', 'src/util', 'src/config'],
  'src/gitops/store': ['src/ports', 'src/objects', 'src/util'],
  'src/gitops/health': ['src/oam', 'src/ports', 'src/objects', 'src/util'],
  'src/gitops/source': ['src/oam', 'src/objects', 'src/util', 'src/config'],
  'src/gitops/sync': ['src/gitops/store', 'src/gitops/health', 'src/oam', 'src/ports', 'src/objects', 'src/util'],
  'src/gitops/release': [
    'src/gitops/store',
    'src/gitops/sync',
    'src/gitops/source',
    'src/oam',
    'src/ports',
    'src/objects',
    'src/util',
  ],
  'src/gitops/promotion': ['src/gitops/store', 'src/gitops/source', 'src/util'],
  // Runtime traits know the core only through the interfaces they are given (ports, the object model).
  'src/traits/api': ['src/oam', 'src/ports', 'src/objects'],
  'src/traits': ['src/traits/api', 'src/oam', 'src/ports', 'src/objects', 'src/util', 'src/config'],
  'src/gitops/reconcile': [
    'src/traits/api',
    'src/gitops/store',
    'src/gitops/sync',
    'src/gitops/health',
    'src/gitops/release',
    'src/gitops/source',
    'src/oam',
    'src/ports',
    'src/objects',
    'src/util',
    'src/config',
  ],
  'src/gitops/controller': [
    'src/gitops/promotion',
    'src/traits/api',
    'src/gitops/reconcile',
    'src/gitops/store',
    'src/gitops/sync',
    'src/gitops/health',
    'src/gitops/release',
    'src/gitops/source',
    'src/oam',
    'src/ports',
    'src/objects',
    'src/util',
    'src/config',
  ],
  'src/localcluster': ['src/kube', 'src/ports', 'src/objects', 'src/util', 'src/config', 'src/gitops/store'],
};
// src/cli is the edge: it wires everything and may import any folder.

const esc = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const under = (f) => (f.endsWith('.ts') ? `^${esc(f)}$` : `^${esc(f)}/`);
const folderRules = Object.entries(FOLDERS).map(([folder, allowed]) => {
  return {
    name: `folder-rule:${folder}`,
    comment: `${folder} may import only ${allowed.length ? allowed.join(', ') : 'itself'} (its README)`,
    severity: 'error',
    from: { path: under(folder) },
    to: {
      path: '^src/',
      pathNot: [under(folder), ...allowed.map(under)],
    },
  };
});

module.exports = {
  forbidden: [
    ...folderRules,
    {
      name: 'no-circular',
      comment: 'No module imports itself through others.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'client-node-at-the-edges',
      comment: '@kubernetes/client-node is reached through src/kube (ClusterPort); the CLI and the local cluster set it up.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(kube|cli|localcluster)/' },
      to: { path: 'node_modules/@kubernetes/client-node' },
    },
    {
      name: 'isomorphic-git-in-the-source',
      comment: 'Git is read by the Git source only.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/gitops/source/' },
      to: { path: 'node_modules/isomorphic-git' },
    },
    {
      name: 'no-test-code-in-src',
      comment: 'Production code never imports test support or tests.',
      severity: 'error',
      from: { path: '^src/', pathNot: '\\.test\\.ts$' },
      to: { path: ['^test/', '\\.test\\.ts$'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^dist/', '^build/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
