import { describe, expect, it } from 'vitest';
import { ok } from '../../oam/errors.js';
import type { SourcedApplication } from '../../oam/model/parse.js';
import { parseFerryConfig } from '../source/environments.js';
import type { AppFolder } from '../source/repo-layout.js';
import { releasePairs } from './declared.js';

const config = (yaml: string) => {
  const r = parseFerryConfig(yaml, 'ferry.yaml');
  if (!r.ok) throw new Error(r.problems[0]!.message);
  return r.value;
};
const folder = (name: string): AppFolder => ({ name, path: `apps/${name}`, entries: [], digest: name });
const loaded = (name: string) =>
  ok({
    apps: [{ app: { metadata: { name }, spec: { components: [] } } } as unknown as SourcedApplication],
    definitions: [],
  });
const pairs = (cfg: ReturnType<typeof config>, name: string) =>
  releasePairs(folder(name), loaded(name), [], cfg).map((p) => `${p.app}/${p.env}`);

describe('releasePairs with environments that select their apps', () => {
  const two = config(
    [
      'environments:',
      '  - {name: team-a, serviceAccount: team-a/deployer, apps: ["a-*"]}',
      '  - {name: team-b, serviceAccount: team-b/deployer, apps: ["b-*"]}',
      '  - {name: audit}',
      '',
    ].join('\n'),
  );

  it("gives each folder's apps to the environments that select it", () => {
    expect(pairs(two, 'a-web')).toEqual(['a-web/team-a', 'a-web/audit']);
    expect(pairs(two, 'b-api')).toEqual(['b-api/team-b', 'b-api/audit']);
  });

  it('gives an app no environment selects to none', () => {
    const only = config(['environments:', '  - {name: team-a, apps: ["a-*"]}', ''].join('\n'));
    expect(pairs(only, 'c-job')).toEqual([]);
  });

  it('reports a broken folder only in the environments that select it', () => {
    const broken = { ok: false as const, problems: [] };
    expect(releasePairs(folder('b-api'), broken, [], two).map((p) => p.env)).toEqual(['team-b', 'audit']);
  });
});
