import { describe, expect, it } from 'vitest';
import { parseApplications } from './parse.js';

describe('parseApplications', () => {
  it('locates malformed YAML', () => {
    const r = parseApplications('kind: Application\nspec:\n  components: [\n    {name: a\n', 'app.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems[0]!.code).toBe('InvalidYAML');
    expect(r.problems[0]!.at.file).toBe('app.yaml');
    expect(r.problems[0]!.at.line).toBeGreaterThan(1);
  });

  it('reports duplicate component names at the second one', () => {
    const text = [
      'apiVersion: core.oam.dev/v1beta1',
      'kind: Application',
      'metadata: {name: x}',
      'spec:',
      '  components:',
      '    - name: web',
      '      type: webservice',
      '    - name: web',
      '      type: worker',
      '',
    ].join('\n');
    const r = parseApplications(text, 'a.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({
      code: 'DuplicateComponent',
      at: { file: 'a.yaml', line: 8, column: 7, component: 'web' },
    });
    expect(r.problems[0]!.message).toContain('first defined at line 6');
  });

  it('collects every structural problem of a file', () => {
    const text = [
      'kind: Application',
      'metadata: {}',
      'spec:',
      '  components:',
      '    - name: a',
      '    - type: worker',
      '',
    ].join('\n');
    const r = parseApplications(text, 'a.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => p.message)).toEqual([
      'apiVersion must be core.oam.dev/v1beta1 for kind Application, not missing',
      'metadata.name is required and must be a string',
      'component type is required and must be a string',
      'component name is required and must be a string',
    ]);
  });

  it('ignores documents of other kinds and keeps applications', () => {
    const r = parseApplications(
      'kind: ConfigMap\n---\napiVersion: core.oam.dev/v1beta1\nkind: Application\n' +
        'metadata: {name: a}\nspec: {components: [{name: c, type: worker}]}\n',
      'a.yaml',
    );
    expect(r.ok && r.value.map((a) => a.app.metadata.name)).toEqual(['a']);
  });
});
