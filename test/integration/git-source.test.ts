/** GitSource against a real smart-HTTP server (Debian git's git http-backend on 127.0.0.1). */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitSource, PathEscapeError, SourceError } from '../../src/gitops/source/git-source.js';
import { startGitServer, type GitServer } from '../support/git-server.js';

let root = '';
let work = '';
let server: GitServer;
const git = (...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
    cwd: work,
    encoding: 'utf8',
  }).trim();
function commit(files: Record<string, string>, message: string): string {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(work, path, '..'), { recursive: true });
    writeFileSync(join(work, path), text);
  }
  git('add', '-A');
  git('commit', '-qm', message);
  git('push', '-q', 'origin', 'main');
  return git('rev-parse', 'HEAD');
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'ferry-git-'));
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', join(root, 'repos', 'apps.git')]);
  work = join(root, 'work');
  execFileSync('git', ['clone', '-q', join(root, 'repos', 'apps.git'), work]);
  git('checkout', '-q', '-b', 'main');
  server = await startGitServer(join(root, 'repos'));
});
afterAll(async () => {
  await server.stop();
  rmSync(root, { recursive: true, force: true });
});

const read = async (source: GitSource, commit: string, folder: string) =>
  Promise.all(
    (await source.listFiles(commit, folder)).map(async (e) => ({ path: e.path, text: await source.readText(e) })),
  );

describe('GitSource over smart HTTP', () => {
  it('clones, does nothing when the head has not moved, and fetches a new commit', async () => {
    const c1 = commit({ 'apps/shop/app.yaml': 'kind: Application\n', 'ferry.yaml': 'environments: []\n' }, 'first');
    const source = new GitSource({ repo: `${server.url}/apps.git`, cacheDir: join(root, 'clone') });
    expect(await source.poll()).toEqual({ commit: c1, changed: true });
    expect(await source.poll()).toEqual({ commit: c1, changed: false });
    const c2 = commit({ 'apps/shop/app.yaml': 'kind: Application\nmetadata: {name: shop}\n' }, 'second');
    expect(await source.poll()).toEqual({ commit: c2, changed: true });
    expect(await read(source, c2, 'apps')).toEqual([
      { path: 'apps/shop/app.yaml', text: 'kind: Application\nmetadata: {name: shop}\n' },
    ]);
    expect(await read(source, c1, 'apps/shop')).toEqual([{ path: 'apps/shop/app.yaml', text: 'kind: Application\n' }]);
    expect(await source.listFiles(c2, 'nothing-here')).toEqual([]);
    // A restarted source reuses its clone and knows the commits it had.
    const again = new GitSource({ repo: `${server.url}/apps.git`, cacheDir: join(root, 'clone') });
    expect(await again.poll()).toEqual({ commit: c2, changed: true });
    expect(await read(again, c1, 'apps/shop')).toHaveLength(1);
  });

  it('a commit older than the shallow clone is fetched when asked for (the history deepened once)', async () => {
    const first = git('rev-list', '--max-parents=0', 'HEAD');
    const source = new GitSource({ repo: `${server.url}/apps.git`, cacheDir: join(root, 'shallow') });
    await source.poll();
    // Cloned at depth 1: the first commit is not there to read.
    expect(await source.listFiles(first, 'apps')).toEqual([]);
    expect(await source.ensure(first)).toBe(true);
    expect(await read(source, first, 'apps/shop')).toEqual([
      { path: 'apps/shop/app.yaml', text: 'kind: Application\n' },
    ]);
    expect(await source.ensure('0'.repeat(40))).toBe(false);
  });

  it(
    'follows links inside the repository and rejects links and paths that leave it, ' + 'for that folder only',
    async () => {
      mkdirSync(join(work, 'apps', 'evil'), { recursive: true });
      mkdirSync(join(work, 'apps', 'dots'), { recursive: true });
      mkdirSync(join(work, 'apps', 'linked'), { recursive: true });
      symlinkSync('/etc/passwd', join(work, 'apps', 'evil', 'app.yaml'));
      symlinkSync('../../../../etc/passwd', join(work, 'apps', 'dots', 'app.yaml'));
      symlinkSync('../good/app.yaml', join(work, 'apps', 'linked', 'app.yaml'));
      symlinkSync('/tmp', join(work, 'apps', 'dirlink'));
      const c3 = commit({ 'apps/good/app.yaml': 'kind: Application\n' }, 'evil link');
      const source = new GitSource({ repo: `${server.url}/apps.git`, cacheDir: join(root, 'clone2') });
      await source.poll();
      await expect(source.listFiles(c3, 'apps/evil')).rejects.toThrow(PathEscapeError);
      await expect(source.listFiles(c3, 'apps/evil')).rejects.toThrow(
        /"apps\/evil\/app.yaml" is a symbolic link to the absolute path "\/etc\/passwd"/,
      );
      await expect(source.listFiles(c3, 'apps/dots')).rejects.toThrow(
        /"apps\/dots\/app.yaml" is a symbolic link to "..\/..\/..\/..\/etc\/passwd", which leaves the repository/,
      );
      // An app folder that is itself a link out of the repository is named as such
      // (was "anticipated to be a tree but it is a blob").
      await expect(source.listFiles(c3, 'apps/dirlink')).rejects.toThrow(
        /"apps\/dirlink" is a symbolic link to "\/tmp", where a folder is expected/,
      );
      await expect(source.listFiles(c3, 'apps/good/app.yaml/x')).rejects.toThrow(
        /"apps\/good\/app.yaml" is a file, where a folder is expected/,
      );
      await expect(source.listFiles(c3, '../outside')).rejects.toThrow(/leaves the repository/);
      await expect(source.listFiles(c3, '/etc')).rejects.toThrow(/leaves the repository/);
      expect(await read(source, c3, 'apps/linked')).toEqual([
        { path: 'apps/linked/app.yaml', text: 'kind: Application\n' },
      ]);
      expect((await source.listFiles(c3, 'apps/good')).map((f) => f.path)).toEqual(['apps/good/app.yaml']);
    },
  );

  it('reads a local repository directly, at its HEAD or a pinned commit', async () => {
    const head = git('rev-parse', 'HEAD');
    const first = git('rev-list', '--max-parents=0', 'HEAD');
    const local = new GitSource({ repo: work, cacheDir: join(root, 'unused') });
    expect(await local.poll()).toEqual({ commit: head, changed: true });
    expect(await local.poll()).toEqual({ commit: head, changed: false });
    const pinned = new GitSource({ repo: work, cacheDir: join(root, 'unused'), commit: first.slice(0, 10) });
    expect((await pinned.poll()).commit).toBe(first);
  });

  it(
    'reads a bare repository directly (a path given to ferry serve --repo), ' +
      'at its HEAD, a branch or a pinned commit',
    async () => {
      const bare = join(root, 'repos', 'apps.git');
      const head = git('rev-parse', 'HEAD');
      const first = git('rev-list', '--max-parents=0', 'HEAD');
      const source = new GitSource({ repo: bare, cacheDir: join(root, 'unused') });
      expect(await source.poll()).toEqual({ commit: head, changed: true });
      expect((await source.listFiles(head, 'apps/good')).map((f) => f.path)).toEqual(['apps/good/app.yaml']);
      expect(await read(source, head, 'apps/good')).toEqual([
        { path: 'apps/good/app.yaml', text: 'kind: Application\n' },
      ]);
      expect((await new GitSource({ repo: bare, cacheDir: join(root, 'unused'), ref: 'main' }).poll()).commit).toBe(
        head,
      );
      expect(
        (await new GitSource({ repo: bare, cacheDir: join(root, 'unused'), commit: first.slice(0, 10) }).poll()).commit,
      ).toBe(first);
      const next = commit(
        { 'apps/good/app.yaml': 'kind: Application\nmetadata: {name: good}\n' },
        'pushed to the bare repository',
      );
      expect(await source.poll()).toEqual({ commit: next, changed: true });
    },
  );

  it('authenticates with basic credentials and never shows them in errors', async () => {
    const secured = await startGitServer(join(root, 'repos'), {
      auth: { username: 'ferry', password: 's3cret-token' },
    });
    try {
      const good = new GitSource({
        repo: `${secured.url}/apps.git`,
        cacheDir: join(root, 'clone-auth'),
        auth: { username: 'ferry', password: 's3cret-token' },
      });
      expect((await good.poll()).commit).toBe(git('rev-parse', 'HEAD'));
      const bad = new GitSource({
        repo: `${secured.url}/apps.git`,
        cacheDir: join(root, 'clone-bad'),
        auth: { username: 'ferry', password: 'wrong-password' },
      });
      const err = await bad.poll().catch((e: Error) => e);
      expect(err).toBeInstanceOf(SourceError);
      expect(String((err as Error).message)).toMatch(/401/);
      expect(String((err as Error).message)).not.toContain('wrong-password');
      expect(() => new GitSource({ repo: `http://user:pw@127.0.0.1:1/x.git`, cacheDir: root })).toThrow(
        /not in the URL/,
      );
    } finally {
      await secured.stop();
    }
  });

  it('reports an unreachable server instead of hanging', async () => {
    const source = new GitSource({ repo: 'http://127.0.0.1:9/apps.git', cacheDir: join(root, 'clone3') });
    await expect(source.poll()).rejects.toThrow(SourceError);
  });

  it('fails a poll when the server accepts the request and never answers', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const port = (silent.address() as { port: number }).port;
      const source = new GitSource({
        repo: `http://127.0.0.1:${port}/apps.git`,
        cacheDir: join(root, 'clone4'),
        requestIdleMs: 300,
      });
      const failed = await source.poll().catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(SourceError);
      expect((failed as Error).message).toMatch(/timed out/);
    } finally {
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    }
  });
});
