import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyWebhook } from './webhook.js';

const body = Buffer.from(JSON.stringify({ ref: 'refs/heads/main', after: 'abc' }));
const sig = (secret: string, b = body) => createHmac('sha256', secret).update(b).digest('hex');

describe('webhook verification', () => {
  it.each([
    ['github', { 'x-hub-signature-256': `sha256=${sig('s3')}`, 'x-github-event': 'push' }],
    ['gitea', { 'x-gitea-signature': sig('s3'), 'x-gitea-event': 'push' }],
    ['gitlab', { 'x-gitlab-token': 's3', 'x-gitlab-event': 'Push Hook' }],
    ['generic', { 'x-ferry-signature': `sha256=${sig('s3')}` }],
  ])('accepts a correctly signed %s push', (provider, headers) => {
    expect(verifyWebhook(headers, body, 's3', 'main')).toEqual({
      status: 200,
      provider,
      ref: 'refs/heads/main',
      message: 'fetch triggered',
    });
  });

  it.each([
    ['github', { 'x-hub-signature-256': `sha256=${sig('other')}` }],
    ['github', { 'x-hub-signature-256': 'sha256=short' }],
    ['gitea', { 'x-gitea-signature': sig('s3', Buffer.from('tampered')) }],
    ['gitlab', { 'x-gitlab-token': 's4' }],
    ['generic', { 'x-ferry-signature': sig('s3') }],
  ])('rejects a bad %s signature with 401', (provider, headers) => {
    expect(verifyWebhook(headers, body, 's3')).toMatchObject({ status: 401, provider });
  });

  it('rejects an unsigned request, ignores other branches, answers pings, refuses non-JSON', () => {
    expect(verifyWebhook({}, body, 's3').status).toBe(401);
    const dev = Buffer.from(JSON.stringify({ ref: 'refs/heads/dev' }));
    expect(verifyWebhook({ 'x-ferry-signature': `sha256=${sig('s3', dev)}` }, dev, 's3', 'main')).toMatchObject({
      status: 202,
      ref: 'refs/heads/dev',
    });
    expect(
      verifyWebhook({ 'x-hub-signature-256': `sha256=${sig('s3')}`, 'x-github-event': 'ping' }, body, 's3').status,
    ).toBe(200);
    const junk = Buffer.from('not json');
    expect(verifyWebhook({ 'x-ferry-signature': `sha256=${sig('s3', junk)}` }, junk, 's3')).toMatchObject({
      status: 400,
    });
  });
});
