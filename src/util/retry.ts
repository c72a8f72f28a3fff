/** Capped exponential backoff with full jitter for transient API errors; permanent ones fail at once. */

export interface RetryOptions {
  attempts?: number;
  baseMs?: number;
  capMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export function isTransient(e: unknown): boolean {
  // A ClusterError (src/ports/cluster.ts) says itself whether it is transient.
  const transient = (e as { transient?: unknown } | undefined)?.transient;
  if (typeof transient === 'boolean') return transient;
  const code = (e as { code?: string | number }).code;
  return [
    'ECONNRESET',
    'ECONNREFUSED',
    'ETIMEDOUT',
    'EPIPE',
    'EAI_AGAIN',
    'UND_ERR_SOCKET',
    'UND_ERR_CONNECT_TIMEOUT',
  ].includes(String(code));
}

export async function withRetry<T>(fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? 5;
  const sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  const random = opts.random ?? Math.random;
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= attempts || !isTransient(e)) throw e;
      const ceiling = Math.min(opts.capMs ?? 5000, (opts.baseMs ?? 200) * 2 ** (i - 1));
      await sleep(Math.floor(random() * ceiling));
    }
  }
}
