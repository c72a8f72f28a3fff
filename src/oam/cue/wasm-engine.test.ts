import { beforeAll, describe, expect, it } from 'vitest';
import type { CueEngine } from './engine.js';
import { loadWasmEngine } from './wasm-engine.js';

let cue: CueEngine;
beforeAll(async () => {
  cue = await loadWasmEngine();
});

const trait = (body: string) => `t: {\n\ttype: "trait"\n}\ntemplate: {\n${body}\n}\n`;

function load(source: string, format: 'definition' | 'template' = 'definition') {
  const r = cue.load('t.cue', source, format);
  expect(r.problems).toEqual([]);
  return r.template!;
}

describe('the CUE bridge', () => {
  it('is the official evaluator at v0.14 or later', () => {
    expect(cue.version).toMatch(/^v0\.(1[4-9]|[2-9]\d)\./);
  });

  it('reads the definition block as metadata', () => {
    const t = load(
      '"my-trait": {\n\ttype: "trait"\n\tdescription: "d"\n\tattributes: appliesToWorkloads: ["*"]\n}\n' +
        'template: {\n\tparameter: {}\n}\n',
    );
    expect(t.name).toBe('my-trait');
    expect(t.meta).toEqual({ type: 'trait', description: 'd', attributes: { appliesToWorkloads: ['*'] } });
  });

  it('collects +patchKey/+patchStrategy by field path, through lists, comprehensions and shorthand', () => {
    const t = load(
      trait(`
	// +patchStrategy=jsonMergePatch
	patch: {
		// +patchKey=name
		spec: containers: [for c in parameter.cs {
			name: c
			// +patchKey=key,other.key
			env: []
		}]
		if parameter.r {
			// +patchStrategy=retainKeys
			spec: replicas: 1
		}
	}
	patchOutputs: svc: {
		// +patchStrategy=replace
		spec: ports: []
	}
	parameter: {cs: [...string], r: bool}`),
    );
    expect(cue.annotations(t.id).annotations).toEqual([
      { path: ['patch'], patchStrategy: 'jsonMergePatch' },
      { path: ['patch', 'spec', 'containers'], patchKey: 'name' },
      { path: ['patch', 'spec', 'containers', '[]', 'env'], patchKey: 'key,other.key' },
      { path: ['patch', 'spec', 'replicas'], patchStrategy: 'retainKeys' },
      { path: ['patchOutputs', 'svc', 'spec', 'ports'], patchStrategy: 'replace' },
    ]);
  });

  it('evaluates with sorted parameter keys and keeps integers integral', () => {
    const t = load(
      trait('outputs: cm: {data: {for k, v in parameter.env {(k): "\\(v)"}}}\nparameter: env: [string]: int'),
    );
    const ev = cue.evaluate(t.id, { parameter: { env: { b: 2, a: 1, c: 3 } }, context: {}, fields: ['outputs'] });
    expect(ev.problems).toEqual([]);
    expect(Object.keys((ev.values.outputs as { cm: { data: object } }).cm.data)).toEqual(['a', 'b', 'c']);
  });

  it('skips hidden, definition and optional fields in outputs, in field order', () => {
    const t = load(trait('outputs: {z: {kind: "Z"}, _h: {}, #D: {}, o?: {}, a: {kind: "A"}}\nparameter: {}'));
    expect(
      Object.keys(cue.evaluate(t.id, { parameter: {}, context: {}, fields: ['outputs'] }).values.outputs as object),
    ).toEqual(['z', 'a']);
  });

  it('knows which context fields a template uses', () => {
    expect(load(trait('patch: spec: replicas: parameter.n\nparameter: n: int')).contextFields).toEqual([]);
    expect(
      load(trait('patch: metadata: name: context.name\nx: context.output.spec\nparameter: {}')).contextFields,
    ).toEqual(['name', 'output']);
    expect(load(trait('x: context["config"]\nparameter: {}')).contextFields).toBeNull();
  });

  it('exports the parameter schema with defaults, enums, required fields and +usage', () => {
    const t = load(
      trait(
        'parameter: {\n\t// +usage=How many\n\tn: *1 | int\n\tmode: "a" | "b"\n' +
          '\topt?: [...string]\n\tm: [string]: string\n}',
      ),
    );
    expect(cue.schema(t.id)).toMatchObject({
      type: 'object',
      required: ['mode'],
      properties: {
        n: { type: 'integer', default: 1, description: 'How many' },
        mode: { type: 'string', enum: ['a', 'b'] },
        opt: { type: 'array', items: { type: 'string' } },
        m: { type: 'object', additionalProperties: { type: 'string' } },
      },
    });
  });

  it('returns every error with file, line and column', () => {
    const r = cue.load(
      'bad.cue',
      'template: {\n\toutput: a: 1\n\toutput: a: 2\n\tparameter: {}\n}\nx: {type: "component"}\n',
      'definition',
    );
    const ev = cue.evaluate(r.template!.id, { parameter: {}, context: {}, fields: ['output'] });
    expect(ev.problems).toHaveLength(1);
    expect(ev.problems[0]).toMatchObject({ message: 'conflicting values 2 and 1', path: ['template', 'output', 'a'] });
    expect(ev.problems[0]!.positions).toHaveLength(2);
    expect(ev.problems[0]!.positions).toEqual(
      expect.arrayContaining([
        { file: 'bad.cue', line: 2, column: 13 },
        { file: 'bad.cue', line: 3, column: 13 },
      ]),
    );
    const syntax = cue.load('syn.cue', 'x: {\n', 'template');
    expect(syntax.template).toBeUndefined();
    expect(syntax.problems[0]).toMatchObject({ kind: 'syntax', positions: [{ file: 'syn.cue', line: 1, column: 6 }] });
  });
});
