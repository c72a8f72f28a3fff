#!/usr/bin/env node
// No import cycles between folders of src/ (src/gitops/release → src/gitops/sync → src/gitops/release…),
// even through other folders: the module graph from dependency-cruiser, collapsed to folders, must be
// acyclic. Prints each cycle (with one import that closes it) and exits 1.
import { cruise } from 'dependency-cruiser';
import { dirname } from 'node:path';

const result = await cruise(['src'], {
  tsPreCompilationDeps: true,
  doNotFollow: { path: 'node_modules' },
  exclude: { path: '\\.test\\.ts$' },
});
const edges = new Map();
const example = new Map();
for (const m of result.output.modules) {
  if (!m.source.startsWith('src/')) continue;
  const from = dirname(m.source);
  for (const d of m.dependencies) {
    if (!d.resolved.startsWith('src/')) continue;
    const to = dirname(d.resolved);
    if (to === from) continue;
    if (!edges.has(from)) edges.set(from, new Set());
    edges.get(from).add(to);
    if (!example.has(`${from} ${to}`)) example.set(`${from} ${to}`, `${m.source} → ${d.resolved}`);
  }
}
// Tarjan's strongly connected components: a component of more than one folder is a cycle.
let index = 0;
const idx = new Map();
const low = new Map();
const stack = [];
const on = new Set();
const cycles = [];
function visit(v) {
  idx.set(v, index);
  low.set(v, index++);
  stack.push(v);
  on.add(v);
  for (const w of edges.get(v) ?? []) {
    if (!idx.has(w)) {
      visit(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) !== idx.get(v)) return;
  const scc = [];
  let w;
  do {
    w = stack.pop();
    on.delete(w);
    scc.push(w);
  } while (w !== v);
  if (scc.length > 1) cycles.push(scc);
}
for (const v of edges.keys()) if (!idx.has(v)) visit(v);
if (cycles.length === 0) {
  console.log(`check-folder-cycles: ${edges.size} folders, no cycle between them`);
  process.exit(0);
}
for (const scc of cycles) {
  console.error(`folders in a cycle: ${scc.sort().join(', ')}`);
  for (const a of scc)
    for (const b of scc) if (example.has(`${a} ${b}`)) console.error(`  ${example.get(`${a} ${b}`)}`);
}
process.exit(1);
