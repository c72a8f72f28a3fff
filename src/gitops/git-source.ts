/**
 * A Git repository as Ferry reads it (isomorphic-git over smart HTTP): clone shallow once, then
 * fetch without `depth` (with depth the whole tree is downloaded again), and do nothing when the
 * branch head has not moved. Files are read from a commit's tree; every path stays inside the
 * repository: symlinks are rejected, and so are absolute or `..` paths asked for.
 */
import fs from 'node:fs';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';

export interface GitSourceOptions {
  url: string;
  /** Where the local clone lives. */
  dir: string;
  branch?: string;
  /** Credentials come from the environment or a Secret, never from the URL, and are never logged. */
  auth?: { username: string; password: string };
}

export interface RepoFile {
  path: string;
  text: string;
}

export class PathEscapeError extends Error {}

export class GitSource {
  private cloned = false;
  private head?: string;

  constructor(private readonly opts: GitSourceOptions) {}

  private get branch(): string {
    return this.opts.branch ?? 'main';
  }

  private onAuth = () => this.opts.auth;

  /** Brings the clone up to date; `changed` is false when the branch head did not move. */
  async poll(): Promise<{ commit: string; changed: boolean }> {
    const common = { fs, http, dir: this.opts.dir, url: this.opts.url, ref: this.branch, singleBranch: true, onAuth: this.onAuth };
    if (!this.cloned) {
      await git.clone({ ...common, depth: 1, noCheckout: true });
      this.cloned = true;
    } else {
      const remote = await git.listServerRefs({ http, url: this.opts.url, prefix: `refs/heads/${this.branch}`, onAuth: this.onAuth });
      const tip = remote.find((r) => r.ref === `refs/heads/${this.branch}`)?.oid;
      if (tip && tip === this.head) return { commit: tip, changed: false };
      await git.fetch({ ...common, tags: false });
    }
    const commit = await git.resolveRef({ fs, dir: this.opts.dir, ref: `refs/remotes/origin/${this.branch}` });
    const changed = commit !== this.head;
    this.head = commit;
    return { commit, changed };
  }

  /** Regular files below `folder` at `commit` (recursively), refusing anything that could escape. */
  async readFolder(commit: string, folder: string): Promise<RepoFile[]> {
    if (folder.startsWith('/') || folder.split('/').includes('..')) throw new PathEscapeError(`path "${folder}" leaves the repository`);
    const out: RepoFile[] = [];
    const walk = async (path: string): Promise<void> => {
      const { tree } = await git.readTree({ fs, dir: this.opts.dir, oid: commit, ...(path ? { filepath: path } : {}) });
      for (const entry of tree) {
        const full = path ? `${path}/${entry.path}` : entry.path;
        if (entry.mode === '120000') throw new PathEscapeError(`"${full}" is a symbolic link; Ferry does not follow links out of the repository`);
        if (entry.type === 'tree') await walk(full);
        else if (entry.type === 'blob') {
          const { blob } = await git.readBlob({ fs, dir: this.opts.dir, oid: entry.oid });
          out.push({ path: full, text: Buffer.from(blob).toString('utf8') });
        }
      }
    };
    await walk(folder.replace(/\/+$/, ''));
    return out;
  }
}
