import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { chooseLogFormat, jsonLogger, prettyMessage } from './telemetry.js';

function capture(isTTY?: boolean): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  if (isTTY !== undefined) Object.assign(stream, { isTTY });
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('log format', () => {
  it('is pretty only on a terminal, unless FERRY_LOG_FORMAT says otherwise', () => {
    expect(chooseLogFormat(true, undefined)).toBe('pretty');
    expect(chooseLogFormat(false, undefined)).toBe('json');
    expect(chooseLogFormat(undefined, undefined)).toBe('json');
    expect(chooseLogFormat(true, 'json')).toBe('json');
    expect(chooseLogFormat(false, 'pretty')).toBe('pretty');
    expect(chooseLogFormat(false, 'fancy')).toBe('json');
  });

  it('writes the same JSON lines as before when the destination is not a terminal', async () => {
    const out = capture();
    const log = jsonLogger({ destination: out.stream, level: 'info' });
    log.info({ app: 'hello', env: 'default', revision: 1 }, 'synced');
    log.debug({}, 'not shown');
    await flush();
    const lines = out.text().trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(Object.keys(entry)).toEqual(['level', 'time', 'component', 'app', 'env', 'revision', 'msg']);
    expect(entry).toMatchObject({
      level: 'info',
      component: 'ferry',
      app: 'hello',
      env: 'default',
      revision: 1,
      msg: 'synced',
    });
    expect(entry.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('writes one readable line per entry on a terminal', async () => {
    const out = capture(true);
    const log = jsonLogger({ destination: out.stream, level: 'info' });
    log.info(
      { app: 'hello', env: 'default', commit: '322b6d690e32da7b7540e1c14931f479f580917f', writes: 9 },
      'applied',
    );
    log.error({ app: 'payments', env: 'deploy-prod', err: 'PlanFailed: no context' }, 'failed');
    await flush();
    // eslint-disable-next-line no-control-regex
    const lines = out
      .text()
      // biome-ignore lint/suspicious/noControlCharactersInRegex: strips the ANSI colours pino-pretty writes
      .replace(/\u001b\[[0-9;]*m/g, '')
      .trimEnd()
      .split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: hello\/default applied \{"commit":"322b6d690e32","writes":9\}$/,
    );
    expect(lines[1]).toMatch(/ERROR: payments\/deploy-prod failed: PlanFailed: no context\s*$/);
    expect(() => JSON.parse(lines[0]!)).toThrow();
  });

  it('an explicit format wins over the destination', async () => {
    const out = capture(true);
    jsonLogger({ destination: out.stream, format: 'json' }).info('x');
    await flush();
    expect(JSON.parse(out.text()).msg).toBe('x');
  });

  it('puts app/env first and an error message last', () => {
    expect(prettyMessage({ msg: 'listening' })).toBe('listening');
    expect(prettyMessage({ app: 'a', env: 'e', msg: 'synced' })).toBe('a/e synced');
    expect(prettyMessage({ msg: 'poll failed', err: { message: 'boom', stack: '…' } })).toBe('poll failed: boom');
  });
});
