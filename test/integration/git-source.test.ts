/** GitSource against a real smart-HTTP server (Debian git's git http-backend on 127.0.0.1). */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitSource, PathEscapeError } from '../../src/gitops/git-source.js';
import { startGitServer, type GitServer } from '../support/git-server.js';

let root = '';
let work = '';
let server: GitServer;
const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: work, encoding: 'utf8' }).trim();
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

describe('GitSource over smart HTTP', () => {
  it('clones, does nothing when the head has not moved, and fetches a new commit', async () => {
    const c1 = commit({ 'apps/shop/app.yaml': 'kind: Application\n', 'ferry.yaml': 'environments: []\n' }, 'first');
    const source = new GitSource({ url: `${server.url}/apps.git`, dir: join(root, 'clone') });
    expect(await source.poll()).toEqual({ commit: c1, changed: true });
    expect(await source.poll()).toEqual({ commit: c1, changed: false });
    const c2 = commit({ 'apps/shop/app.yaml': 'kind: Application\nmetadata: {name: shop}\n' }, 'second');
    expect(await source.poll()).toEqual({ commit: c2, changed: true });
    expect(await source.readFolder(c2, 'apps')).toEqual([{ path: 'apps/shop/app.yaml', text: 'kind: Application\nmetadata: {name: shop}\n' }]);
    expect(await source.readFolder(c1, 'apps/shop')).toEqual([{ path: 'apps/shop/app.yaml', text: 'kind: Application\n' }]);
  });

  it('rejects symlinks and paths that leave the repository, for that folder only', async () => {
    mkdirSync(join(work, 'apps', 'evil'), { recursive: true });
    symlinkSync('/etc/passwd', join(work, 'apps', 'evil', 'app.yaml'));
    const c3 = commit({ 'apps/good/app.yaml': 'kind: Application\n' }, 'evil link');
    const source = new GitSource({ url: `${server.url}/apps.git`, dir: join(root, 'clone2') });
    await source.poll();
    await expect(source.readFolder(c3, 'apps/evil')).rejects.toThrow(PathEscapeError);
    await expect(source.readFolder(c3, 'apps/evil')).rejects.toThrow(/"apps\/evil\/app.yaml" is a symbolic link/);
    await expect(source.readFolder(c3, '../outside')).rejects.toThrow(/leaves the repository/);
    await expect(source.readFolder(c3, '/etc')).rejects.toThrow(/leaves the repository/);
    expect((await source.readFolder(c3, 'apps/good')).map((f) => f.path)).toEqual(['apps/good/app.yaml']);
  });

  it('reports an unreachable server instead of hanging', async () => {
    const source = new GitSource({ url: 'http://127.0.0.1:9/apps.git', dir: join(root, 'clone3') });
    await expect(source.poll()).rejects.toThrow();
  });
});
