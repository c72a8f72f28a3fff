import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PatchDirectives } from './annotations.js';
import { applyPatch } from './apply-patch.js';
import type { Json } from './json.js';
import { strategicMerge } from './strategic-merge.js';

const d = (...a: { path: string[]; patchKey?: string; patchStrategy?: string }[]) => new PatchDirectives(a);
const containers = ['patch', 'spec', 'containers'];

describe('strategicMerge', () => {
  it.each([
    {
      name: 'adds new fields and merges objects',
      base: { spec: { replicas: 1 } },
      patch: { spec: { paused: true } },
      dirs: d(),
      want: { spec: { replicas: 1, paused: true } },
    },
    {
      name: 'merges lists by position and keeps extra base elements',
      base: { spec: { containers: [{ name: 'a' }, { name: 'b' }] } },
      patch: { spec: { containers: [{ name: 'a', image: 'x' }] } },
      dirs: d(),
      want: { spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b' }] } },
    },
    {
      name: 'matches list elements by +patchKey and appends new ones',
      base: { spec: { containers: [{ name: 'a' }, { name: 'b' }] } },
      patch: { spec: { containers: [{ name: 'c' }, { name: 'b', image: 'y' }] } },
      dirs: d({ path: containers, patchKey: 'name' }),
      want: { spec: { containers: [{ name: 'a' }, { name: 'b', image: 'y' }, { name: 'c' }] } },
    },
    {
      name: 'inherits +patchKey into nested lists',
      base: { spec: { containers: [{ name: 'a', env: [{ name: 'X', value: '1' }] }] } },
      patch: { spec: { containers: [{ name: 'a', env: [{ name: 'Y', value: '2' }] }] } },
      dirs: d({ path: containers, patchKey: 'name' }),
      want: {
        spec: {
          containers: [
            {
              name: 'a',
              env: [
                { name: 'X', value: '1' },
                { name: 'Y', value: '2' },
              ],
            },
          ],
        },
      },
    },
    {
      name: 'retainKeys replaces a scalar that would otherwise conflict',
      base: { spec: { replicas: 1 } },
      patch: { spec: { replicas: 3 } },
      dirs: d({ path: ['patch', 'spec', 'replicas'], patchStrategy: 'retainKeys' }),
      want: { spec: { replicas: 3 } },
    },
    {
      name: 'replace swaps a whole list',
      base: { spec: { args: ['a', 'b'] } },
      patch: { spec: { args: ['c'] } },
      dirs: d({ path: ['patch', 'spec', 'args'], patchStrategy: 'replace' }),
      want: { spec: { args: ['c'] } },
    },
    {
      name: 'retainKeys with patchKey replaces matched elements whole',
      base: {
        v: [
          { name: 'a', x: 1 },
          { name: 'b', x: 2 },
        ],
      },
      patch: { v: [{ name: 'b', y: 3 }] },
      dirs: d({ path: ['patch', 'v'], patchKey: 'name', patchStrategy: 'retainKeys' }),
      want: {
        v: [
          { name: 'a', x: 1 },
          { name: 'b', y: 3 },
        ],
      },
    },
  ])('$name', ({ base, patch, dirs, want }) => {
    const r = strategicMerge(base as unknown as Json, patch as unknown as Json, dirs, ['patch']);
    expect(r.conflicts).toEqual([]);
    expect(r.value).toEqual(want);
  });

  it('reports scalar conflicts with their path', () => {
    const r = strategicMerge(
      { spec: { containers: [{ image: 'a' }] } },
      { spec: { containers: [{ image: 'b' }] } },
      d(),
      ['patch'],
    );
    expect(r.conflicts).toEqual([
      {
        path: 'spec.containers[0].image',
        field: ['patch', 'spec', 'containers', '[]', 'image'],
        message: 'conflicting values "a" and "b"',
      },
    ]);
  });

  it('never mutates its inputs', () => {
    const base = { spec: { containers: [{ name: 'a' }] } };
    const patch = { spec: { containers: [{ name: 'a', image: 'x' }] } };
    const before = JSON.stringify([base, patch]);
    strategicMerge(base, patch, d({ path: containers, patchKey: 'name' }), ['patch']);
    expect(JSON.stringify([base, patch])).toBe(before);
  });

  it('is idempotent: patching twice equals patching once', () => {
    const json = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, fc.integer(), fc.string({ maxLength: 3 }), tie('obj'), tie('arr')),
      obj: fc.dictionary(fc.constantFrom('a', 'b', 'name'), tie('value'), { maxKeys: 3 }),
      arr: fc.array(tie('value'), { maxLength: 3 }),
    }));
    fc.assert(
      fc.property(json.obj, json.obj, (base, patch) => {
        const once = strategicMerge(base as Json, patch as Json, d(), ['patch']);
        fc.pre(once.conflicts.length === 0);
        const twice = strategicMerge(once.value, patch as Json, d(), ['patch']);
        expect(twice.conflicts).toEqual([]);
        expect(twice.value).toEqual(once.value);
      }),
      { numRuns: 300 },
    );
  });
});

describe('applyPatch whole-value strategies', () => {
  it('jsonMergePatch merges objects, deletes on null and replaces lists', () => {
    const r = applyPatch(
      { a: { b: 1, c: 2 }, l: [1, 2] },
      { a: { c: null, d: 3 }, l: [9] },
      d({ path: ['patch'], patchStrategy: 'jsonMergePatch' }),
      ['patch'],
    );
    expect(r.value).toEqual({ a: { b: 1, d: 3 }, l: [9] });
  });

  it('jsonPatch applies RFC 6902 operations', () => {
    const r = applyPatch(
      { spec: { replicas: 1 } },
      {
        operations: [
          { op: 'replace', path: '/spec/replicas', value: 4 },
          { op: 'add', path: '/spec/paused', value: true },
        ],
      },
      d({ path: ['patch'], patchStrategy: 'jsonPatch' }),
      ['patch'],
    );
    expect(r.conflicts).toEqual([]);
    expect(r.value).toEqual({ spec: { replicas: 4, paused: true } });
  });

  it('jsonPatch reports a failing operation instead of throwing', () => {
    const r = applyPatch(
      { spec: {} },
      { operations: [{ op: 'remove', path: '/spec/missing' }] },
      d({ path: ['patch'], patchStrategy: 'jsonPatch' }),
      ['patch'],
    );
    expect(r.conflicts).toHaveLength(1);
    expect(r.conflicts[0]!.message).toMatch(/JSON patch/);
  });
});

describe('list patterns and JSON patch details', () => {
  const withPattern = (from: number, value: Json) =>
    new PatchDirectives([], [{ path: [...containers, '[]'], from, value }]);

  it('an open list pattern ([...T]) unifies T with every base element', () => {
    const r = applyPatch(
      { spec: { containers: [{ name: 'a' }, { name: 'b', lifecycle: { x: 1 } }] } },
      { spec: { containers: [] } },
      withPattern(0, { lifecycle: { preStop: 'p' } }),
      ['patch'],
    );
    expect(r.conflicts).toEqual([]);
    expect(r.value).toEqual({
      spec: {
        containers: [
          { name: 'a', lifecycle: { preStop: 'p' } },
          { name: 'b', lifecycle: { x: 1, preStop: 'p' } },
        ],
      },
    });
  });

  it('a pattern after explicit elements ([e0, ...T]) applies from that index on, and conflicts are reported', () => {
    const r = applyPatch(
      { spec: { containers: [{ name: 'a' }, { name: 'b', tty: false }] } },
      { spec: { containers: [{ image: 'i' }] } },
      withPattern(1, { tty: true }),
      ['patch'],
    );
    expect(r.value).toEqual({
      spec: {
        containers: [
          { name: 'a', image: 'i' },
          { name: 'b', tty: false },
        ],
      },
    });
    expect(r.conflicts).toEqual([
      {
        path: 'spec.containers[1].tty',
        field: [...containers, '[]', 'tty'],
        message: 'conflicting values false and true',
      },
    ]);
  });

  it('jsonPatch replace of a missing member of an existing object adds it (evanphx/json-patch v4)', () => {
    const r = applyPatch(
      { spec: { replicas: 1 } },
      { operations: [{ op: 'replace', path: '/spec/paused', value: true }] },
      d({ path: ['patch'], patchStrategy: 'jsonPatch' }),
      ['patch'],
    );
    expect(r.conflicts).toEqual([]);
    expect(r.value).toEqual({ spec: { replicas: 1, paused: true } });
  });

  it('jsonPatch names the failing operation by index, op and path', () => {
    const ops = [
      { op: 'add', path: '/spec/a', value: 1 },
      { op: 'test', path: '/spec/a', value: 1 },
      { op: 'replace', path: '/nothere/deep', value: 2 },
    ];
    const r = applyPatch({ spec: {} }, { operations: ops }, d({ path: ['patch'], patchStrategy: 'jsonPatch' }), [
      'patch',
    ]);
    expect(r.value).toEqual({ spec: {} });
    expect(r.conflicts).toHaveLength(1);
    expect(r.conflicts[0]).toMatchObject({ operation: 2 });
    expect(r.conflicts[0]!.message).toMatch(/^JSON patch operation 2 \(replace \/nothere\/deep\) failed: /);
  });
});
