import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../objects/objects.js';
import { reflect, type WatchDeps } from './kube-watch.js';

const cm = (name: string, rv: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, resourceVersion: rv },
});
const q = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ferry-system', labelSelector: 'ferry.dev/kind=hold' };
type Script = ((emit: (type: string, obj: KubeObject) => void) => void)[];

/** A list and streams played from a script; the reflector stops when the script is over. */
function scripted(lists: KubeObject[][], streams: Script) {
  const abort = new AbortController();
  const calls: string[] = [];
  let listRv = 10;
  const deps: WatchDeps = {
    list: async () => {
      calls.push('list');
      return { items: lists.shift() ?? [], resourceVersion: String(listRv++) };
    },
    stream: async (_q, rv, onEvent) => {
      calls.push(`watch@${rv}`);
      const next = streams.shift();
      if (!next) return abort.abort();
      next(onEvent);
    },
    sleep: async (ms) => void calls.push(`sleep ${ms}`),
  };
  return { deps, calls, abort };
}

describe('reflect', () => {
  it(
    "lists, watches from the list's version, resumes from the last version seen, " +
      'relists on 410 and after a failure',
    async () => {
      const seen: string[] = [];
      const { deps, calls, abort } = scripted(
        [[cm('a', '9')], [cm('b', '40')], []],
        [
          (emit) => {
            emit('ADDED', cm('b', '11'));
            emit('BOOKMARK', cm('', '15'));
          },
          (emit) => emit('DELETED', cm('a', '16')),
          (emit) =>
            emit('ERROR', {
              apiVersion: 'v1',
              kind: 'Status',
              metadata: {},
              code: 410,
              message: 'too old resource version',
            } as unknown as KubeObject),
          () => {
            throw new Error('connection reset');
          },
        ],
      );
      await reflect(
        deps,
        q,
        {
          reset: (items) => seen.push(`reset ${items.map((i) => i.metadata.name).join(',')}`),
          event: (t, o) => seen.push(`${t} ${o.metadata.name}`),
        },
        abort.signal,
      );
      expect(seen).toEqual(['reset a', 'ADDED b', 'DELETED a', 'reset b', 'reset ']);
      // Streams that end at once are not resumed in a tight loop (sleep 1000).
      expect(calls).toEqual([
        'list',
        'watch@10',
        'sleep 1000',
        'watch@15',
        'sleep 1000',
        'watch@16',
        'list',
        'watch@11',
        'sleep 1000',
        'list',
        'watch@12',
        'sleep 1000',
      ]);
    },
  );
});
