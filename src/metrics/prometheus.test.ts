/**
 * The Prometheus client against a small HTTP server on 127.0.0.1 that answers as Prometheus's query API
 * does (a stand-in for the server in a unit test; the integration tests use a real Prometheus).
 */
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusClient } from './prometheus.js';

type Reply = { status: number; body: unknown; delayMs?: number };
let replies: Reply[] = [];
const seen: string[] = [];
const urls: string[] = [];
let server: Server;
let url = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(new URL(req.url ?? '/', 'http://x').searchParams.get('query') ?? '');
    urls.push(req.url ?? '');
    const r = replies.shift() ?? { status: 500, body: { status: 'error', error: 'no reply queued' } };
    setTimeout(() => {
      res.writeHead(r.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(r.body));
    }, r.delayMs ?? 0);
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((res) => server.close(() => res())));

const vector = (...values: string[]) => ({
  status: 200,
  body: {
    status: 'success',
    data: {
      resultType: 'vector',
      result: values.map((v, i) => ({ metric: { pod: `p${i}` }, value: [1733000000, v] })),
    },
  },
});
/** A matrix answer (a range query, or an instant query of a range selector): each series' labels and samples. */
const matrix = (...result: { metric: Record<string, string>; values: [number, string][] }[]) => ({
  status: 200,
  body: { status: 'success', data: { resultType: 'matrix', result } },
});
const client = (extra = {}) =>
  new PrometheusClient({ url, attempts: 3, backoffMs: () => 10, timeoutMs: 500, ...extra });

describe('PrometheusClient', () => {
  it('a range query asks query_range with its start, end and step (seconds), and reads each series', async () => {
    replies = [
      matrix({
        metric: {},
        values: [
          [1733000000, '1.5'],
          [1733000005, 'NaN'],
        ],
      }),
    ];
    const r = await client().range('up', { startMs: 1_733_000_000_000, endMs: 1_733_000_060_000, stepMs: 5000 });
    expect(urls.at(-1)).toBe('/api/v1/query_range?query=up&start=1733000000&end=1733000060&step=5');
    // NaN (a ratio of no requests) is no point.
    expect(r).toEqual({ kind: 'samples', series: [{ labels: {}, points: [[1_733_000_000_000, 1.5]] }] });
  });

  it('reads one series as a value and passes the query encoded', async () => {
    replies = [vector('0.975')];
    const q = 'sum(rate(http_requests_total{code!~"5.."}[1m])) / sum(rate(http_requests_total[1m]))';
    expect(await client().query(q)).toEqual({ kind: 'value', value: 0.975 });
    expect(seen.at(-1)).toBe(q);
  });

  it('a scalar is a value; 0 is a value, not "no data"', async () => {
    replies = [{ status: 200, body: { status: 'success', data: { resultType: 'scalar', result: [1733000000, '0'] } } }];
    expect(await client().query('scalar(0)')).toEqual({ kind: 'value', value: 0 });
  });

  it('an empty vector and NaN are "no data"', async () => {
    replies = [vector(), vector('NaN')];
    expect(await client().query('up{job="none"}')).toEqual({ kind: 'no-data' });
    expect(await client().query('0/0')).toEqual({ kind: 'no-data' });
  });

  it('several series are an error that says to aggregate', async () => {
    replies = [vector('1', '2')];
    const r = await client().query('rate(http_requests_total[1m])');
    expect(r).toMatchObject({ kind: 'error', error: { reason: 'ambiguous' } });
    expect(r.kind === 'error' && r.error.message).toMatch(/returned 2 series; aggregate it/);
  });

  it("a bad query is reported with Prometheus's words and not retried", async () => {
    replies = [
      { status: 400, body: { status: 'error', errorType: 'bad_data', error: 'parse error: unexpected end of input' } },
    ];
    const before = seen.length;
    const r = await client().query('sum(');
    expect(r).toEqual({
      kind: 'error',
      error: {
        reason: 'bad-query',
        message: `Prometheus at ${url} refused the query "sum(": parse error: unexpected end of input`,
      },
    });
    expect(seen.length - before).toBe(1);
  });

  it('retries a server error, then answers', async () => {
    replies = [
      { status: 503, body: { status: 'error', error: 'overloaded' } },
      { status: 503, body: {} },
      vector('42'),
    ];
    expect(await client().query('x')).toEqual({ kind: 'value', value: 42 });
  });

  it('gives up after its attempts and says why', async () => {
    replies = [
      { status: 503, body: {} },
      { status: 503, body: {} },
      { status: 503, body: { status: 'error', error: 'still overloaded' } },
    ];
    expect(await client().query('x')).toEqual({
      kind: 'error',
      error: { reason: 'server', message: `Prometheus at ${url} answered 503: still overloaded (after 3 attempts)` },
    });
  });

  it('a slow answer is a timeout', async () => {
    replies = [{ ...vector('1'), delayMs: 400 }];
    const r = await client({ timeoutMs: 100, attempts: 1 }).query('x');
    expect(r).toEqual({
      kind: 'error',
      error: { reason: 'timeout', message: `Prometheus at ${url} did not answer within 100 ms (after 1 attempt)` },
    });
  });

  it('a server that is not there: "cannot reach Prometheus at …"', async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((res) => {
      const s = createNetServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => res(p));
      });
    });
    const r = await new PrometheusClient({ url: `http://127.0.0.1:${port}/`, attempts: 2, backoffMs: () => 10 }).query(
      'up',
    );
    expect(r).toEqual({
      kind: 'error',
      error: {
        reason: 'unreachable',
        message: `cannot reach Prometheus at http://127.0.0.1:${port} (ECONNREFUSED) (after 2 attempts)`,
      },
    });
  });
});

describe('PrometheusClient.samples', () => {
  it('asks for selector[Ns] and returns every series with its samples in ms', async () => {
    replies = [
      matrix(
        {
          metric: { pod: 'web-canary-a-1', code: '200' },
          values: [
            [1733000000, '10'],
            [1733000001.5, '25'],
          ],
        },
        { metric: { pod: 'web-canary-a-2', code: '200' }, values: [[1733000001, '3']] },
      ),
    ];
    const r = await client().samples('http_requests_total{namespace="shop"}', 9.6);
    expect(seen.at(-1)).toBe('http_requests_total{namespace="shop"}[10s]');
    expect(r).toEqual({
      kind: 'samples',
      series: [
        {
          labels: { pod: 'web-canary-a-1', code: '200' },
          points: [
            [1733000000000, 10],
            [1733000001500, 25],
          ],
        },
        { labels: { pod: 'web-canary-a-2', code: '200' }, points: [[1733000001000, 3]] },
      ],
    });
  });

  it('no series is no data; a refused query is a typed error', async () => {
    replies = [matrix()];
    expect(await client().samples('x', 10)).toEqual({ kind: 'no-data' });
    replies = [{ status: 400, body: { status: 'error', errorType: 'bad_data', error: 'parse error' } }];
    expect(await client().samples('x{', 10)).toMatchObject({ kind: 'error', error: { reason: 'bad-query' } });
  });
});
