/**
 * An in-memory ClusterPort for unit tests of what Ferry records: get, list by label selector, apply, create, delete,
 * and scale (which sets spec.replicas and remembers the field manager that did, in `scaledBy`).
 */
import { ClusterError, type ClusterPort, type WorkloadScale, workloadScale } from '../../src/ports/cluster.js';
import { formatRef, type KubeObject, type ObjectRef } from '../../src/objects/objects.js';

const keyOf = (r: { kind: string; namespace?: string; name: string }) => `${r.kind}/${r.namespace ?? ''}/${r.name}`;

/** `k=v`, `!k` and `k in (a,b)` terms, comma-separated (enough for Ferry's selectors). */
export function matchesSelector(labels: Record<string, string>, selector: string): boolean {
  const terms = selector.match(/[^,(]+(\([^)]*\))?/g) ?? [];
  return terms.every((raw) => {
    const t = raw.trim();
    if (!t) return true;
    if (t.startsWith('!')) return !(t.slice(1) in labels);
    const inSet = /^(\S+) in \(([^)]*)\)$/.exec(t);
    if (inSet)
      return inSet[2]!
        .split(',')
        .map((v) => v.trim())
        .includes(labels[inSet[1]!] ?? '\u0000');
    const [k, v] = t.split('=');
    return labels[k!] === v;
  });
}

export class MemoryCluster implements ClusterPort {
  readonly objects = new Map<string, KubeObject>();
  /** Object key (Kind/namespace/name) → the field manager of its last scale. */
  readonly scaledBy = new Map<string, string>();
  writes = 0;

  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    const o = this.objects.get(keyOf(ref));
    return o ? structuredClone(o) : undefined;
  }

  async list(
    _apiVersion: string,
    kind: string,
    namespace: string | undefined,
    labelSelector: string,
  ): Promise<KubeObject[]> {
    return [...this.objects.values()]
      .filter(
        (o) =>
          o.kind === kind &&
          (!namespace || o.metadata.namespace === namespace) &&
          matchesSelector(o.metadata.labels ?? {}, labelSelector),
      )
      .map((o) => structuredClone(o));
  }

  async apply(obj: KubeObject): Promise<KubeObject> {
    this.writes++;
    this.objects.set(
      keyOf({ kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name }),
      structuredClone(obj),
    );
    return obj;
  }

  async create(obj: KubeObject): Promise<KubeObject> {
    const key = keyOf({ kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name });
    if (this.objects.has(key)) throw new ClusterError(undefined, 409, `${key} exists`);
    return this.apply(obj);
  }

  async scale(ref: ObjectRef, replicas: number, fieldManager: string): Promise<void> {
    const live = this.objects.get(keyOf(ref));
    if (!live) throw new ClusterError(ref, 404, `${formatRef(ref)}: not found`);
    await this.apply({ ...live, spec: { ...live.spec, replicas } });
    this.scaledBy.set(keyOf(ref), fieldManager);
  }

  async readScale(ref: ObjectRef): Promise<WorkloadScale | undefined> {
    const live = await this.get(ref);
    return live && workloadScale(live);
  }

  async delete(ref: ObjectRef): Promise<void> {
    this.writes++;
    this.objects.delete(keyOf(ref));
  }

  /** Names of the objects of a kind, sorted. */
  names(kind = 'ConfigMap'): string[] {
    return [...this.objects.values()]
      .filter((o) => o.kind === kind)
      .map((o) => o.metadata.name)
      .sort();
  }
}

/**
 * A MemoryCluster whose reads can be made to hang, as an API server that stops answering: `hang(match)` holds
 * every `get` whose ref matches until `answer()` lets them all through. `slow(ms, match)` answers those reads
 * `ms` later; `fail(count, match)` fails the next `count` of them (transient, as a connection reset).
 */
export class HangingCluster extends MemoryCluster {
  private held?: { match: (ref: ObjectRef) => boolean; answered: Promise<void>; answer: () => void };
  private slowed?: { ms: number; match: (ref: ObjectRef) => boolean };
  private failing = { count: 0, match: (_: ObjectRef) => true };

  slow(ms: number, match: (ref: ObjectRef) => boolean = () => true): void {
    this.slowed = { ms, match };
  }

  fail(count: number, match: (ref: ObjectRef) => boolean = () => true): void {
    this.failing = { count, match };
  }

  /** How many of the failures asked for are still to come. */
  get failuresLeft(): number {
    return this.failing.count;
  }

  hang(match: (ref: ObjectRef) => boolean = () => true): void {
    let answer: () => void = () => undefined;
    const answered = new Promise<void>((r) => (answer = r));
    this.held = { match, answered, answer };
  }

  answer(): void {
    this.held?.answer();
    this.held = undefined;
  }

  override async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    if (this.failing.count > 0 && this.failing.match(ref)) {
      this.failing.count--;
      throw new ClusterError(ref, 0, 'connection reset', [], true);
    }
    if (this.slowed?.match(ref)) await new Promise((r) => setTimeout(r, this.slowed!.ms));
    if (this.held?.match(ref)) await this.held.answered;
    return super.get(ref);
  }
}
