/** For the GitOps loop tests: a Git repository behind a real smart-HTTP server, and `ferry serve` processes. */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { eventually } from './kube.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FERRY = join(ROOT, 'bin', 'ferry');

export class TestRepo {
  readonly root = mkdtempSync(join(tmpdir(), 'ferry-gitops-'));
  readonly work = join(this.root, 'work');
  server!: GitServer;

  async start(): Promise<void> {
    execFileSync('git', ['init', '-q', '--bare', '-b', 'main', join(this.root, 'repos', 'apps.git')]);
    execFileSync('git', ['clone', '-q', join(this.root, 'repos', 'apps.git'), this.work], { stdio: 'ignore' });
    this.git('checkout', '-q', '-B', 'main');
    this.server = await startGitServer(join(this.root, 'repos'));
  }

  get url(): string {
    return `${this.server.url}/apps.git`;
  }

  git(...args: string[]): string {
    return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
      cwd: this.work,
      encoding: 'utf8',
    }).trim();
  }

  /** Writes files (null deletes), commits and pushes; returns the commit. */
  commit(files: Record<string, string | null>, message = 'change'): string {
    for (const [path, text] of Object.entries(files)) {
      const full = join(this.work, path);
      if (text === null) rmSync(full, { force: true, recursive: true });
      else {
        mkdirSync(dirname(full), { recursive: true });
        writeFileSync(full, text);
      }
    }
    this.git('add', '-A');
    this.git('commit', '-qm', message, '--allow-empty');
    this.git('push', '-q', 'origin', 'main');
    return this.git('rev-parse', 'HEAD');
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    rmSync(this.root, { recursive: true, force: true });
  }
}

export const webApp = (name: string, namespace: string, image: string, extra = '') => `apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  components:
    - name: ${name}
      type: webservice
      properties:
        image: ${image}
        port: 8080
${extra}`;

/** Runs bin/ferry against a kubeconfig; never throws: the exit code and both outputs. */
export async function ferryCli(
  kubeconfig: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await promisify(execFile)(FERRY, args, { env: { ...process.env, KUBECONFIG: kubeconfig } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

export class Serve {
  readonly logs: Record<string, unknown>[] = [];
  port = 0;
  private proc!: ChildProcess;
  private exited!: Promise<number | null>;

  constructor(
    readonly args: string[],
    readonly env: Record<string, string>,
  ) {}

  async start(): Promise<this> {
    this.proc = spawn(FERRY, ['serve', '--port', '0', ...this.args], {
      env: { ...process.env, ...this.env, FERRY_LOG_LEVEL: 'debug' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exited = new Promise((r) => this.proc.once('exit', (code) => r(code)));
    let buf = '';
    this.proc.stdout!.on('data', (c: Buffer) => {
      buf += c.toString('utf8');
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          this.logs.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          /* not JSON */
        }
      }
    });
    this.proc.stderr!.on('data', () => undefined);
    this.port = await eventually(
      'ferry serve to listen',
      async () => this.logs.find((l) => l.msg === 'ferry serve listening on 127.0.0.1')?.port as number | undefined,
      60_000,
    );
    return this;
  }

  get pid(): number {
    return this.proc.pid!;
  }

  /** Whether the process still runs. */
  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  has(msg: string, match: Record<string, unknown> = {}): boolean {
    return this.logs.some((l) => l.msg === msg && Object.entries(match).every(([k, v]) => l[k] === v));
  }

  async http(path: string, init?: RequestInit): Promise<{ status: number; text: string }> {
    const r = await fetch(`http://127.0.0.1:${this.port}${path}`, init);
    return { status: r.status, text: await r.text() };
  }

  /** A metric's value (0 when absent), e.g. metric('ferry_renders_total', {app: 'a'}). */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const { text } = await this.http('/metrics');
    let total = 0;
    for (const line of text.split('\n')) {
      if (!line.startsWith(name)) continue;
      const m = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
      if (!m || m[1] !== name) continue;
      if (Object.entries(labels).every(([k, v]) => (m[2] ?? '').includes(`${k}="${v}"`))) total += Number(m[3]);
    }
    return total;
  }

  async webhook(secret: string, body = { ref: 'refs/heads/main' }): Promise<number> {
    const raw = JSON.stringify(body);
    const sig = createHmac('sha256', secret).update(raw).digest('hex');
    return (
      await this.http('/webhook', {
        method: 'POST',
        body: raw,
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'push',
          'x-hub-signature-256': `sha256=${sig}`,
        },
      })
    ).status;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
    return this.exited;
  }
}
