/** Writes a repository of N realistic apps (3 components, 3–4 traits each) using built-in definitions. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

export function appSpec(i: number): Record<string, unknown> {
  const name = `app-${String(i).padStart(4, '0')}`;
  return {
    apiVersion: 'core.oam.dev/v1beta1',
    kind: 'Application',
    metadata: { name, namespace: `team-${i % 20}` },
    spec: {
      components: [
        {
          name: `${name}-web`,
          type: 'webservice',
          properties: {
            image: `registry.example.com/${name}/web:1.${i % 7}.0`,
            ports: [{ port: 8080, expose: true }],
            cpu: '250m',
            memory: '256Mi',
          },
          traits: [
            { type: 'scaler', properties: { replicas: 2 + (i % 3) } },
            { type: 'env', properties: { env: { APP: name, LOG_LEVEL: i % 2 ? 'info' : 'debug' } } },
            { type: 'gateway', properties: { domain: `${name}.example.com`, http: { '/': 8080 } } },
            ...(i % 2 === 0 ? [{ type: 'labels', properties: { team: `team-${i % 20}` } }] : []),
          ],
        },
        {
          name: `${name}-worker`,
          type: 'worker',
          properties: { image: `registry.example.com/${name}/worker:1.${i % 5}.0`, cmd: ['worker', '--queue', name] },
          traits: [
            { type: 'scaler', properties: { replicas: 1 + (i % 4) } },
            { type: 'resource', properties: { cpu: 0.5, memory: '512Mi' } },
            { type: 'sidecar', properties: { name: 'log-shipper', image: 'registry.example.com/shipper:2.1' } },
          ],
        },
        {
          name: `${name}-report`,
          type: 'cron-task',
          properties: { image: `registry.example.com/${name}/report:1.0.${i % 9}`, schedule: `${i % 60} 3 * * *` },
          traits: [
            { type: 'labels', properties: { kind: 'report' } },
            { type: 'annotations', properties: { owner: `team-${i % 20}@example.com` } },
            { type: 'resource', properties: { cpu: 1, memory: '1Gi' } },
          ],
        },
      ],
    },
  };
}

export function generateApps(dir: string, count: number): string[] {
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const appDir = join(dir, 'apps', `app-${String(i).padStart(4, '0')}`);
    mkdirSync(appDir, { recursive: true });
    const file = join(appDir, 'app.yaml');
    writeFileSync(file, stringify(appSpec(i)));
    files.push(file);
  }
  return files;
}
