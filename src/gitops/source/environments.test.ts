import { describe, expect, it } from 'vitest';
import { parseFerryConfig } from './environments.js';

describe('ferry.yaml', () => {
  it('defaults: auto-rollback off, removed apps pruned', () => {
    const r = parseFerryConfig('environments: [{name: dev}]\n', 'ferry.yaml');
    expect(r.ok && r.value.defaults).toEqual({ autoRollback: false, pruneRemovedApps: true });
  });

  it('reads the defaults it is given', () => {
    const r = parseFerryConfig(
      'defaults:\n  autoRollback: true\n  pruneRemovedApps: false\n  verifyTimeout: 5m\n',
      'ferry.yaml',
    );
    expect(r.ok && r.value.defaults).toEqual({ autoRollback: true, pruneRemovedApps: false, verifyTimeout: '5m' });
  });

  it('a default that is not a boolean is an error at its line', () => {
    const r = parseFerryConfig(
      'environments: []\ndefaults:\n  autoRollback: true\n  pruneRemovedApps: "no"\n',
      'apps/ferry.yaml',
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]!.message).toBe('defaults.pruneRemovedApps must be true or false, not "no"');
    expect(r.problems[0]!.at).toMatchObject({ file: 'apps/ferry.yaml', line: 4, column: 21 });
  });
});
