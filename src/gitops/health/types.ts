import type { KubeObject } from '../../objects/objects.js';
export type HealthStatus = 'Healthy' | 'Progressing' | 'Degraded' | 'Suspended' | 'Missing' | 'Unknown';

export interface Health {
  status: HealthStatus;
  reason: string;
  message: string;
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export const health = (status: HealthStatus, reason: string, message = ''): Health => ({ status, reason, message });

export function conditionOf(obj: { status?: Record<string, unknown> }, type: string): Condition | undefined {
  const list = (obj.status?.conditions ?? []) as Condition[];
  return Array.isArray(list) ? list.find((c) => c.type === type) : undefined;
}

export const num = (v: unknown) => (typeof v === 'number' ? v : 0);

/** A health rule for one object: the live object (absent: not created yet) against what was applied. */
export type HealthCheck = (live: KubeObject | undefined, desired: KubeObject) => Health;
