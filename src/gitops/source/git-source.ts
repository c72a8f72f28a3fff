/**
 * A Git repository as Ferry reads it, through isomorphic-git. A remote (smart HTTP/S) is cloned
 * shallow once into a cache folder, then brought up to date with `fetch` without `depth` (with
 * depth the whole tree is downloaded again); nothing is fetched when the remote head has not moved.
 * A local repository is read directly, without a clone: a working copy or a bare repository. Files are read from a
 * commit's tree and
 * every path stays inside the repository: absolute and `..` paths are refused, and so are symbolic
 * links whose target leaves it (links inside the repository are followed, a few levels deep).
 */
import fs from 'node:fs';
import { posix } from 'node:path';
import git, { type HttpClient } from 'isomorphic-git';
import nodeHttp from 'isomorphic-git/http/node';

export interface GitAuth {
  username: string;
  password: string;
}

export interface GitSourceOptions {
  /** http(s) URL of a remote, or the path of a local repository. */
  repo: string;
  /** Where the clone of a remote lives (kept across restarts). */
  cacheDir: string;
  /** Branch or tag (a local repository defaults to its HEAD, a remote to main). */
  ref?: string;
  /** A pinned commit: the source always yields it. */
  commit?: string;
  /** Credentials from the environment or a Secret, never from the URL; never logged or shown. */
  auth?: GitAuth;
  /** A request to the remote that receives nothing for this long fails (default GIT_REQUEST_IDLE_MS). */
  requestIdleMs?: number;
}

/** A Git host that stops answering fails the poll (retried next time) instead of holding it for ever. */
export const GIT_REQUEST_IDLE_MS = 60_000;

export interface TreeEntry {
  /** Repository path (after following links inside the repository). */
  path: string;
  oid: string;
  /** Reached through a symbolic link (inside the repository). */
  viaLink?: boolean;
}

export class PathEscapeError extends Error {}

/** A failure of the Git source, with any credential taken out of the message. */
export class SourceError extends Error {}

export const isRemote = (repo: string) => /^https?:\/\//.test(repo);

const MAX_LINK_DEPTH = 8;

export class GitSource {
  private head?: string;
  private readonly dir: string;
  /** Where isomorphic-git finds the repository: a working copy's folder, or a bare repository's. */
  private at: ({ dir: string } | { gitdir: string }) & { cache: object };
  private readonly remote: boolean;
  private cloned: boolean;

  /** isomorphic-git's Node client, with a timeout on each request (simple-get's `timeout`: socket inactivity). */
  private readonly http: HttpClient;

  constructor(private readonly opts: GitSourceOptions) {
    const timeout = opts.requestIdleMs ?? GIT_REQUEST_IDLE_MS;
    this.http = {
      request: (r) => nodeHttp.request({ ...r, fetchOptions: { timeout } } as Parameters<HttpClient['request']>[0]),
    };
    this.remote = isRemote(opts.repo);
    if (this.remote && /\/\/[^/]*@/.test(opts.repo))
      throw new SourceError('put Git credentials in FERRY_GIT_TOKEN / FERRY_GIT_PASSWORD or a Secret, not in the URL');
    this.dir = this.remote ? opts.cacheDir : opts.repo;
    // One object cache for the reads of a head: without it isomorphic-git loads the pack index and the packfile
    // again for each readTree/readBlob (5,000 apps read at once held 5,000 copies of the pack: 5.5 GB). A new
    // one with every new head (freshCache), so packs fetched or repacked since are not kept twice.
    const cache = {};
    this.at = !this.remote && isBare(opts.repo) ? { gitdir: opts.repo, cache } : { dir: this.dir, cache };
    this.cloned = !this.remote || fs.existsSync(`${opts.cacheDir}/.git`);
  }

  /** Where the repository is, for messages (a remote's URL, a local path). */
  get location(): string {
    return this.opts.repo;
  }

  private onAuth = () => this.opts.auth;
  /** Commits the whole history did not have, with the head it was fetched at. */
  private readonly missing = new Map<string, string | undefined>();

  private redact(e: unknown): SourceError {
    let message = (e as Error).message ?? String(e);
    for (const secret of [this.opts.auth?.password, this.opts.auth?.username].filter(
      (s): s is string => !!s && s.length > 2,
    ))
      message = message.split(secret).join('***');
    return new SourceError(`${this.opts.repo}: ${message}`);
  }

  /** A new, empty object cache: the packs read from now on are the ones on disk now. */
  private freshCache(): void {
    this.at = { ...this.at, cache: {} };
  }

  /** Brings the source up to date; `changed` is false when the head did not move. */
  async poll(): Promise<{ commit: string; changed: boolean }> {
    try {
      const commit = this.remote ? await this.pollRemote() : await this.pollLocal();
      const changed = commit !== this.head;
      if (changed) this.freshCache();
      this.head = commit;
      return { commit, changed };
    } catch (e) {
      throw this.redact(e);
    }
  }

  private async pollLocal(): Promise<string> {
    if (this.opts.commit) return git.expandOid({ fs, ...this.at, oid: this.opts.commit });
    return git.resolveRef({ fs, ...this.at, ref: this.opts.ref ?? 'HEAD' });
  }

  private async pollRemote(): Promise<string> {
    const ref = this.opts.ref ?? 'main';
    const common = { fs, http: this.http, dir: this.dir, url: this.opts.repo, onAuth: this.onAuth };
    if (this.opts.commit) {
      if (!this.cloned) {
        await git.clone({ ...common, ref, singleBranch: true, noCheckout: true });
        this.cloned = true;
      }
      return git.expandOid({ fs, ...this.at, oid: this.opts.commit });
    }
    const remote = await git.listServerRefs({
      http: this.http,
      url: this.opts.repo,
      prefix: `refs/`,
      onAuth: this.onAuth,
    });
    const tip = remote.find((r) => r.ref === `refs/heads/${ref}` || r.ref === `refs/tags/${ref}`);
    if (!tip) throw new SourceError(`branch or tag "${ref}" not found`);
    const oid = tip.peeled ?? tip.oid;
    if (oid === this.head) return oid;
    if (!this.cloned) {
      await git.clone({ ...common, ref, singleBranch: true, depth: 1, noCheckout: true });
      this.cloned = true;
    } else if (!(await this.has(oid))) {
      await git.fetch({ ...common, ref, singleBranch: true, tags: tip.ref.startsWith('refs/tags/') });
    }
    return oid;
  }

  /**
   * Makes sure `commit` can be read: a remote's shallow clone that lacks it (a release older than the first
   * clone of this cache) is deepened to its whole history, once; false when the commit is not there even then.
   */
  async ensure(commit: string): Promise<boolean> {
    if (!this.remote || (await this.has(commit))) return true;
    // Not in the whole history at this head (a force-push dropped it): not fetched for again until the head moves.
    if (this.missing.get(commit) === this.head) return false;
    const common = { fs, http: this.http, dir: this.dir, url: this.opts.repo, onAuth: this.onAuth };
    try {
      // A depth no history reaches: the whole history of the branch (only `shallow` asked of the server).
      await git.fetch({ ...common, ref: this.opts.ref ?? 'main', singleBranch: true, depth: 2 ** 30 });
    } catch (e) {
      throw this.redact(e);
    }
    this.freshCache();
    const found = await this.has(commit);
    if (!found) this.missing.set(commit, this.head);
    return found;
  }

  private async has(oid: string): Promise<boolean> {
    try {
      await git.readCommit({ fs, ...this.at, oid });
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Files below `folder` at `commit`, recursively, with their blob ids (cheap change detection:
   * no blob is read). Missing folder: no files.
   */
  async listFiles(commit: string, folder: string, limits: { maxFiles?: number } = {}): Promise<TreeEntry[]> {
    const start = safePath(folder);
    const out: TreeEntry[] = [];
    const max = limits.maxFiles ?? 10_000;
    const walk = async (path: string, shownAs: string, depth: number, viaLink: boolean): Promise<void> => {
      const tree = await this.readTreeAt(commit, path);
      if (!tree) return;
      for (const entry of tree) {
        const full = path ? `${path}/${entry.path}` : entry.path;
        const shown = shownAs ? `${shownAs}/${entry.path}` : entry.path;
        if (entry.mode === '120000') {
          if (depth >= MAX_LINK_DEPTH) throw new PathEscapeError(`"${shown}": too many levels of symbolic links`);
          const target = await this.linkTarget(entry.oid, full, shown);
          const found = await this.entryAt(commit, target);
          if (found?.type === 'tree') await walk(target, shown, depth + 1, true);
          else if (found?.type === 'blob') out.push({ path: shown, oid: found.oid, viaLink: true });
          else
            throw new PathEscapeError(
              `"${shown}" is a symbolic link to "${target}", which does not exist in the repository`,
            );
        } else if (entry.type === 'tree') await walk(full, shown, depth, viaLink);
        else if (entry.type === 'blob') out.push({ path: shown, oid: entry.oid, ...(viaLink ? { viaLink } : {}) });
        if (out.length > max) throw new PathEscapeError(`more than ${max} files below "${folder}"`);
      }
    };
    await walk(start, start, 0, false);
    return out;
  }

  /** The entries of one folder at `commit` (not recursive, links not followed); missing: none. */
  async children(
    commit: string,
    folder: string,
  ): Promise<{ name: string; type: 'tree' | 'blob' | 'link'; oid: string }[]> {
    const tree = await this.readTreeAt(commit, safePath(folder));
    return (tree ?? []).map((e) => ({
      name: e.path,
      type: e.mode === '120000' ? 'link' : e.type === 'tree' ? 'tree' : 'blob',
      oid: e.oid,
    }));
  }

  /** The text of a blob, refusing anything larger than `maxBytes`. */
  async readText(entry: TreeEntry, maxBytes = 1024 * 1024): Promise<string> {
    const { blob } = await git.readBlob({ fs, ...this.at, oid: entry.oid });
    if (blob.byteLength > maxBytes)
      throw new PathEscapeError(`"${entry.path}" is ${blob.byteLength} bytes; the limit is ${maxBytes}`);
    return Buffer.from(blob).toString('utf8');
  }

  private async readTreeAt(commit: string, path: string) {
    try {
      return (await git.readTree({ fs, ...this.at, oid: commit, ...(path ? { filepath: path } : {}) })).tree;
    } catch (e) {
      if ((e as { code?: string }).code === 'NotFoundError') return undefined;
      if ((e as { code?: string }).code === 'ObjectTypeError') throw await this.notAFolder(commit, path);
      throw e;
    }
  }

  /** Names the part of `path` that is a file or a symbolic link, where a folder was expected. */
  private async notAFolder(commit: string, path: string): Promise<PathEscapeError> {
    const parts = path.split('/');
    for (let i = 0; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      try {
        const tree = (await git.readTree({ fs, ...this.at, oid: commit, ...(parent ? { filepath: parent } : {}) }))
          .tree;
        const e = tree.find((t) => t.path === parts[i]);
        const here = parts.slice(0, i + 1).join('/');
        if (e?.mode === '120000') {
          const { blob } = await git.readBlob({ fs, ...this.at, oid: e.oid });
          return new PathEscapeError(
            `"${here}" is a symbolic link to "${Buffer.from(blob).toString('utf8')}", where a folder is expected ` +
              "(links are followed only inside an app's folder, to places inside the repository)",
          );
        }
        if (e && e.type !== 'tree') return new PathEscapeError(`"${here}" is a file, where a folder is expected`);
      } catch {
        break;
      }
    }
    return new PathEscapeError(`"${path}" is not a folder in the repository`);
  }

  private async entryAt(commit: string, path: string): Promise<{ type: string; oid: string } | undefined> {
    const dirName = posix.dirname(path);
    const tree = await this.readTreeAt(commit, dirName === '.' ? '' : dirName);
    const e = tree?.find((t) => t.path === posix.basename(path));
    if (e?.mode === '120000')
      throw new PathEscapeError(`"${path}" is a symbolic link to a symbolic link; Ferry follows one level only`);
    return e;
  }

  private async linkTarget(oid: string, at: string, shown: string): Promise<string> {
    const { blob } = await git.readBlob({ fs, ...this.at, oid });
    const raw = Buffer.from(blob).toString('utf8');
    if (raw.startsWith('/'))
      throw new PathEscapeError(`"${shown}" is a symbolic link to the absolute path "${raw}", outside the repository`);
    const resolved = posix.normalize(posix.join(posix.dirname(at), raw));
    if (resolved === '..' || resolved.startsWith('../'))
      throw new PathEscapeError(`"${shown}" is a symbolic link to "${raw}", which leaves the repository`);
    return resolved;
  }
}

/** A bare repository: no .git inside, HEAD and objects/ at the top (as `git init --bare` makes). */
function isBare(path: string): boolean {
  return !fs.existsSync(`${path}/.git`) && fs.existsSync(`${path}/HEAD`) && fs.existsSync(`${path}/objects`);
}

/** A repository-relative folder, refusing absolute and `..` paths. */
export function safePath(folder: string): string {
  const trimmed = folder.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  if (folder.startsWith('/') || trimmed.split('/').includes('..'))
    throw new PathEscapeError(`path "${folder}" leaves the repository`);
  return trimmed === '.' ? '' : trimmed;
}
