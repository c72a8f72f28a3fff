/**
 * Which apps of a Git source this replica reconciles (`ferry serve --shards N`): the shards it was given, a
 * generation that changes with every shard taken or dropped, and the folders that hold only other replicas' apps
 * (not read again while unchanged). Unsharded, every app is owned.
 */
import { shardOf } from './shards.js';

export class ShardOwnership {
  private readonly shards = new Set<number>();
  private readonly foreign = new Map<string, { digest: string; apps: string[] }>();
  /** Changed by every shard taken or dropped: a poll that saw it change does not mark its commit read. */
  generation = 0;

  constructor(
    private readonly source: string,
    /** N; undefined: not sharded. */
    readonly count: number | undefined,
  ) {}

  /** Whether this replica reconciles the app (always, unless sharded). */
  owns(app: string): boolean {
    return this.count === undefined || this.shards.has(shardOf(this.source, app, this.count));
  }

  /** Whether the app belongs to the shard. */
  inShard(app: string, shard: number): boolean {
    return shardOf(this.source, app, this.count ?? 1) === shard;
  }

  take(shard: number): void {
    this.shards.add(shard);
    this.generation++;
  }

  drop(shard: number): void {
    this.shards.delete(shard);
    this.generation++;
  }

  /** A folder read before at this digest whose apps are all still other replicas'. */
  skips(path: string, digest: string): boolean {
    const f = this.foreign.get(path);
    return f?.digest === digest && !f.apps.some((a) => this.owns(a));
  }

  /** A folder's apps as read at `digest`: remembered when none is this replica's. */
  read(path: string, digest: string, apps: string[]): void {
    if (this.count === undefined) return;
    if (apps.length > 0 && !apps.some((a) => this.owns(a))) this.foreign.set(path, { digest, apps });
    else this.foreign.delete(path);
  }
}
