/**
 * The dashboard's actions (`POST /api/v1/actions/<action>`): promote, approve, abort, rollback and resume,
 * carried out as the command line does them and recorded the same way. They need the admin token
 * `ferry serve` was started with (FERRY_UI_TOKEN), sent as `Authorization: Bearer <token>`: a header a page
 * of another site cannot send here (no CORS is answered), so a forged form or fetch carries no token. As
 * defence in depth a request must also be JSON, come from this origin when the browser says where it comes
 * from (Origin, Sec-Fetch-Site), and name this server as its Host (no DNS rebinding).
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const ACTIONS = ['promote', 'approve', 'abort', 'rollback', 'resume'] as const;
export type ActionName = (typeof ACTIONS)[number];

export interface ActionRequest {
  action: ActionName;
  app: string;
  /** The environment acted on (promote: the one promoted into). */
  env: string;
  /** A release (a commit or its prefix): approve, promote. */
  release?: string;
  /** promote past the gates. */
  force?: boolean;
  /** rollback: the revision to go back to. */
  revision?: number;
  /** Who asked, as recorded ("dashboard"). */
  actor: string;
}

export interface ActionResult {
  ok: boolean;
  /** What the command line would have printed. */
  message: string;
}

export type Refusal = { status: number; error: string };

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Whether a request names this machine's loopback in `Host` (any port: a `kubectl port-forward` or an SSH tunnel
 * reaches the dashboard under another one). A page whose own name resolves here (DNS rebinding) names its own
 * host, and reads nothing of the dashboard or the API.
 */
export function loopbackHost(host: string | undefined): boolean {
  try {
    return host !== undefined && LOOPBACK.has(new URL(`http://${host}`).hostname);
  } catch {
    return false;
  }
}

/** Why a request may not act (undefined: it may). */
export function refuseAction(req: IncomingMessage, token: string | undefined): Refusal | undefined {
  if (!token) return { status: 403, error: 'actions are off: ferry serve was started without FERRY_UI_TOKEN' };
  if (!loopbackHost(req.headers.host))
    return { status: 403, error: 'the Host header must name this machine (127.0.0.1 or localhost)' };
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${req.headers.host}`)
    return { status: 403, error: `cross-origin request refused (Origin ${origin})` };
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none')
    return { status: 403, error: `cross-site request refused (Sec-Fetch-Site ${site})` };
  if (!/^application\/json\b/.test(req.headers['content-type'] ?? ''))
    return { status: 415, error: 'send the action as application/json' };
  const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  if (a.length !== b.length || !timingSafeEqual(a, b))
    return { status: 401, error: 'the admin token is missing or wrong (Authorization: Bearer <FERRY_UI_TOKEN>)' };
  return undefined;
}

/** The action a body asks for, or why it cannot be read. */
export function parseAction(name: string, body: unknown): ActionRequest | Refusal {
  if (!(ACTIONS as readonly string[]).includes(name))
    return { status: 404, error: `no action "${name}" (${ACTIONS.join(', ')})` };
  const b = (body ?? {}) as Record<string, unknown>;
  const text = (k: string) => (typeof b[k] === 'string' && b[k] !== '' ? (b[k] as string) : undefined);
  const app = text('app');
  const env = text('env');
  if (!app || !env) return { status: 400, error: 'give the app and the environment: {"app": …, "env": …}' };
  if (b.revision !== undefined && !Number.isInteger(b.revision))
    return { status: 400, error: 'revision must be a whole number' };
  const release = text('release');
  return {
    action: name as ActionName,
    app,
    env,
    ...(release ? { release } : {}),
    ...(b.force === true ? { force: true } : {}),
    ...(typeof b.revision === 'number' ? { revision: b.revision } : {}),
    actor: 'dashboard',
  };
}
