import { describe, expect, it } from 'vitest';
import { parseFerryConfig } from './environments.js';
import { parseWindow, promotionOrder, windowOpen } from './promotion-policy.js';

const parse = (lines: string[]) => parseFerryConfig(`${lines.join('\n')}\n`, 'ferry.yaml');
const CHAIN = [
  'environments:',
  '  - name: prod',
  '    promotion: {from: staging, approval: required, window: "Mon-Fri 09:00-16:00"}',
  '  - name: dev',
  '  - name: staging',
  '    promotion: {from: dev, auto: true, soak: 10m}',
];

describe('ferry.yaml promotion', () => {
  it('reads each policy: from, auto (by default unless approval is required), soak, window', () => {
    const r = parse(CHAIN);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const [prod, dev, staging] = r.value.environments;
    expect(dev!.promotion).toBeUndefined();
    expect(staging!.promotion).toEqual({ from: 'dev', auto: true, approval: false, soakMs: 600_000 });
    expect(prod!.promotion).toMatchObject({ from: 'staging', auto: false, approval: true, soakMs: 0 });
    expect(prod!.promotion!.window).toMatchObject({ days: [1, 2, 3, 4, 5], start: 540, end: 960, timeZone: 'UTC' });
  });

  it.each([
    [
      ['  - name: dev', '  - name: prod', '    promotion: {from: stagin}'],
      4,
      'no environment "stagin" (known: dev, prod)',
    ],
    [['  - name: dev', '    promotion: {from: dev}'], 3, 'environment "dev" cannot promote from itself'],
    [['  - name: a', '    promotion: {from: b}', '  - name: b', '    promotion: {from: a}'], 3, 'a cycle: a ← b ← a'],
    [
      ['  - name: dev', '  - name: prod', '    promotion: {from: dev, window: "Mon-Fri 9-16"}'],
      4,
      'window: "9-16" is not a time range within a day',
    ],
    [
      ['  - name: dev', '  - name: prod', '    promotion: {from: dev, window: "Moon 09:00-10:00"}'],
      4,
      'window: "Moon" are not days',
    ],
    [
      ['  - name: dev', '  - name: prod', '    promotion: {from: dev, window: "Mon 09:00-10:00 Mars/Olympus"}'],
      4,
      'window: "Mars/Olympus" is not a time zone',
    ],
    [
      ['  - name: dev', '  - name: prod', '    promotion: {from: dev, auto: true, approval: required}'],
      4,
      'auto: true and approval: required contradict',
    ],
    [['  - name: dev', '  - name: prod', '    promotion: {from: dev, soak: ten}'], 4, 'soak must be a duration'],
    [['  - name: dev', '  - name: prod', '    promotion: {from: dev, gate: slo}'], 4, 'unknown field "gate"'],
    [['  - name: dev', '  - name: prod', '    promotion: {auto: true}'], 4, 'promotion needs "from"'],
    [
      ['  - name: dev', '  - name: prod', '    promotion: {from: dev, waves: [prod-eu, prod-us]}'],
      4,
      'unknown field "waves"',
    ],
    [['  - name: dev', '  - name: prod', '    waves: [prod-eu, prod-eu]'], 4, 'waves'],
    [['  - name: dev', '  - name: prod', '    waves: []'], 4, 'waves'],
  ])('%j is refused at line %i: %s', (envs, line, message) => {
    const r = parse(['environments:', ...envs]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems[0]!.message).toContain(message);
    expect(r.problems[0]!.at).toMatchObject({ file: 'ferry.yaml', line });
  });

  it('a cycle is reported at each environment in it, and the field is located', () => {
    const r = parse([
      'environments:',
      '  - name: a',
      '    promotion:',
      '      from: b',
      '  - name: b',
      '    promotion:',
      '      from: a',
    ]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => [p.at?.line, p.at?.column])).toEqual([
      [4, 13],
      [7, 13],
    ]);
  });
});

describe('promotion windows', () => {
  it('days as ranges (also across the week end) and lists; times on a 24 h clock; a time zone', () => {
    expect(parseWindow('Fri-Mon 22:00-23:30')).toMatchObject({ days: [0, 1, 5, 6], start: 1320, end: 1410 });
    expect(parseWindow('mon,Wed,FRI 00:00-24:00 Europe/Berlin')).toMatchObject({
      days: [1, 3, 5],
      end: 1440,
      timeZone: 'Europe/Berlin',
    });
    expect(parseWindow('Mon-Fri 16:00-09:00')).toMatch(/start before end/);
  });

  it('is open inside, closed outside, in its own time zone', () => {
    const w = parseWindow('Mon-Fri 09:00-16:00 Europe/Berlin');
    if (typeof w === 'string') throw new Error(w);
    // 2026-12-07 is a Monday; Berlin is UTC+1 in December.
    expect(windowOpen(w, new Date('2026-12-07T08:00:00Z'))).toBe(true);
    expect(windowOpen(w, new Date('2026-12-07T07:59:00Z'))).toBe(false);
    expect(windowOpen(w, new Date('2026-12-07T15:00:00Z'))).toBe(false);
    expect(windowOpen(w, new Date('2026-12-05T10:00:00Z'))).toBe(false); // Saturday
  });
});

describe('promotionOrder', () => {
  it('puts each environment after the one it is promoted from', () => {
    const r = parse(CHAIN);
    if (!r.ok) throw new Error('parse');
    expect(r.value.environments.map((e) => e.name)).toEqual(['prod', 'dev', 'staging']);
    expect(promotionOrder(r.value.environments).map((e) => e.name)).toEqual(['dev', 'staging', 'prod']);
  });
});
