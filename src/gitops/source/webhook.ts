/**
 * Push webhooks: GitHub (`X-Hub-Signature-256: sha256=<hmac>`), Gitea/Forgejo (`X-Gitea-Signature:
 * <hmac>`), GitLab (`X-Gitlab-Token: <secret>`, GitLab sends the shared secret rather than a
 * signature) and a generic form (`X-Ferry-Signature: sha256=<hmac>`). HMAC-SHA256 of the raw body
 * with the shared secret, compared in constant time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type Provider = 'github' | 'gitea' | 'gitlab' | 'generic';

export interface WebhookVerdict {
  status: 200 | 202 | 400 | 401;
  provider?: Provider;
  /** The pushed ref (refs/heads/main), when the payload names one. */
  ref?: string;
  message: string;
}

type Headers = Record<string, string | string[] | undefined>;

const header = (h: Headers, name: string) => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  // timingSafeEqual needs equal lengths; compare against itself to spend the same time.
  if (a.length === b.length) return timingSafeEqual(a, b);
  timingSafeEqual(b, b);
  return false;
}

const hmac = (secret: string, body: Buffer) => createHmac('sha256', secret).update(body).digest('hex');

export function verifyWebhook(headers: Headers, body: Buffer, secret: string, branch?: string): WebhookVerdict {
  let provider: Provider;
  let ok: boolean;
  const github = header(headers, 'x-hub-signature-256');
  const gitea = header(headers, 'x-gitea-signature') ?? header(headers, 'x-forgejo-signature');
  const gitlab = header(headers, 'x-gitlab-token');
  const generic = header(headers, 'x-ferry-signature');
  if (github !== undefined) [provider, ok] = ['github', sameSecret(github, `sha256=${hmac(secret, body)}`)];
  else if (gitea !== undefined) [provider, ok] = ['gitea', sameSecret(gitea, hmac(secret, body))];
  else if (gitlab !== undefined) [provider, ok] = ['gitlab', sameSecret(gitlab, secret)];
  else if (generic !== undefined) [provider, ok] = ['generic', sameSecret(generic, `sha256=${hmac(secret, body)}`)];
  else
    return {
      status: 401,
      message: 'no signature header (X-Hub-Signature-256, X-Gitea-Signature, X-Gitlab-Token or X-Ferry-Signature)',
    };
  if (!ok) return { status: 401, provider, message: 'signature does not match' };
  const event =
    header(headers, 'x-github-event') ?? header(headers, 'x-gitea-event') ?? header(headers, 'x-gitlab-event');
  if (event === 'ping') return { status: 200, provider, message: 'pong' };
  let payload: { ref?: unknown };
  try {
    payload = body.length > 0 ? (JSON.parse(body.toString('utf8')) as { ref?: unknown }) : {};
  } catch {
    return { status: 400, provider, message: 'payload is not JSON' };
  }
  const ref = typeof payload.ref === 'string' ? payload.ref : undefined;
  if (branch && ref && ref !== `refs/heads/${branch}` && ref !== `refs/tags/${branch}` && ref !== branch)
    return { status: 202, provider, ref, message: `ignored: push to ${ref}, watching ${branch}` };
  return { status: 200, provider, ...(ref ? { ref } : {}), message: 'fetch triggered' };
}
