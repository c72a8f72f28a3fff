import { describe, expect, it } from 'vitest';
import type { Application } from '../model/application.js';
import { deployStages } from './environment.js';

const app = (steps: object[], mode?: string): Application =>
  ({
    apiVersion: 'core.oam.dev/v1beta1',
    kind: 'Application',
    metadata: { name: 'web' },
    spec: { components: [], workflow: { steps, ...(mode ? { mode: { steps: mode } } : {}) } },
  }) as unknown as Application;
const deploy = (name: string, properties: object = {}) => ({ name, type: 'deploy', properties });

describe("an app's deploy steps as a promotion chain (KubeVela's sequential workflow)", () => {
  it('each deploy step comes after the one before it; auto: false waits for approval', () => {
    expect(deployStages(app([deploy('dev'), deploy('staging'), deploy('prod', { auto: false })]))).toEqual([
      { env: 'dev', approval: false },
      { env: 'staging', after: 'dev', approval: false },
      { env: 'prod', after: 'staging', approval: true },
    ]);
  });

  it('a suspend step gates the next deploy step; other steps are not environments', () => {
    const steps = [deploy('dev'), { name: 'tell', type: 'notification' }, { name: 'ok?', type: 'suspend' }];
    expect(deployStages(app([...steps, deploy('prod'), deploy('dr')]))).toEqual([
      { env: 'dev', approval: false },
      { env: 'prod', after: 'dev', approval: true },
      { env: 'dr', after: 'prod', approval: false },
    ]);
  });

  it('a suspend step with a duration resumes by itself: a soak, not an approval', () => {
    const wait = { name: 'bake', type: 'suspend', properties: { duration: '10m' } };
    expect(deployStages(app([deploy('staging'), wait, deploy('prod')]))).toEqual([
      { env: 'staging', approval: false },
      { env: 'prod', after: 'staging', approval: false, soakMs: 600_000 },
    ]);
  });

  it("a step group's deploy steps come after the step before the group, together", () => {
    const group = { name: 'regions', type: 'step-group', subSteps: [deploy('eu'), deploy('us')] };
    expect(deployStages(app([deploy('staging'), group, deploy('after')]))).toEqual([
      { env: 'staging', approval: false },
      { env: 'eu', after: 'staging', approval: false },
      { env: 'us', after: 'staging', approval: false },
      { env: 'after', after: 'eu', approval: false },
    ]);
  });

  it('mode DAG: no order between them (each follows Git)', () => {
    expect(deployStages(app([deploy('dev'), deploy('prod', { auto: false })], 'DAG'))).toEqual([
      { env: 'dev', approval: false },
      { env: 'prod', approval: false },
    ]);
  });
});
