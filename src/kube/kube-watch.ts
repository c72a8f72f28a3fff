/**
 * Watching objects as client-go's reflector does: list (the full set and its resourceVersion), then
 * watch from that version, following bookmarks; a stream that ends is resumed from the last version
 * seen, and a version the server no longer has (410 Gone) starts over with a list. Failures are
 * retried after a capped backoff until the signal aborts. `reflect` is the loop, with the list and
 * the stream injected; `streamWatch` is the stream over client-node's Watch.
 */
import { Watch, type KubeConfig } from '@kubernetes/client-node';
import type { WatchEventType, WatchHandlers, WatchQuery } from '../ports/cluster.js';
import type { KubeObject } from '../objects/objects.js';
import { abortableSleep } from '../util/sleep.js';

export interface WatchDeps {
  list(q: WatchQuery): Promise<{ items: KubeObject[]; resourceVersion: string }>;
  /** Streams events from `resourceVersion` until the server ends the stream or `signal` aborts. */
  stream(
    q: WatchQuery,
    resourceVersion: string,
    onEvent: (type: string, obj: KubeObject) => void,
    signal: AbortSignal,
  ): Promise<void>;
  sleep?(ms: number, signal: AbortSignal): Promise<void>;
}

/** The version is gone from the server's window: list again. */
export class WatchExpired extends Error {}

const EVENTS = new Set(['ADDED', 'MODIFIED', 'DELETED']);

export async function reflect(deps: WatchDeps, q: WatchQuery, h: WatchHandlers, signal: AbortSignal): Promise<void> {
  const sleep = deps.sleep ?? abortableSleep;
  let version: string | undefined;
  let failures = 0;
  while (!signal.aborted) {
    try {
      if (version === undefined) {
        const listed = await deps.list(q);
        version = listed.resourceVersion;
        h.reset(listed.items);
      }
      const from: string = version;
      const started = Date.now();
      await deps.stream(
        q,
        from,
        (type, obj) => {
          const rv = obj.metadata?.resourceVersion;
          if (type === 'ERROR')
            throw new WatchExpired(String((obj as unknown as { message?: string }).message ?? 'watch error'));
          if (rv) version = rv;
          if (EVENTS.has(type)) h.event(type as WatchEventType, obj);
          failures = 0;
        },
        signal,
      );
      // A stream the server ends at once (a proxy, an overloaded server) is not resumed in a tight loop.
      if (Date.now() - started < 1000) await sleep(1000, signal);
    } catch (e) {
      if (signal.aborted) break;
      if (e instanceof WatchExpired || (e as { statusCode?: number }).statusCode === 410) version = undefined;
      else {
        failures++;
        h.error?.(e as Error);
        // A failed stream may have missed events: list again once the server answers.
        version = undefined;
        await sleep(Math.min(10_000, 500 * 2 ** Math.min(failures, 5)), signal);
      }
    }
  }
}

/** One watch request (client-node's Watch: its own connection, as a long-lived stream should have). */
export function streamWatch(
  kubeconfig: KubeConfig,
  path: string,
  q: WatchQuery,
  resourceVersion: string,
  onEvent: (type: string, obj: KubeObject) => void,
  signal: AbortSignal,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let failed: unknown;
    let request: AbortController | undefined;
    const abort = () => request?.abort();
    signal.addEventListener('abort', abort, { once: true });
    const finish = (err: unknown) => {
      signal.removeEventListener('abort', abort);
      const e = failed ?? err;
      if (e && !signal.aborted)
        reject(e instanceof Error ? e : new Error(String((e as { message?: string }).message ?? e)));
      else resolve();
    };
    const params = { labelSelector: q.labelSelector, resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 300 };
    new Watch(kubeconfig)
      .watch(
        path,
        params,
        (type: string, obj: KubeObject) => {
          if (failed) return;
          try {
            onEvent(type, obj);
          } catch (e) {
            failed = e;
            request?.abort();
          }
        },
        finish,
      )
      .then((c) => {
        request = c;
        if (signal.aborted || failed) c.abort();
      })
      .catch(finish);
  });
}
