/**
 * An environment's promotion policy in `ferry.yaml`: which environment its releases come from, whether a
 * verified release moves on by itself or waits for `ferry approve`, how long it must soak upstream first,
 * when promotions may happen (a window). Parsed and checked here (unknown `from`, a cycle, a garbled window,
 * contradicting settings), each problem at its line; pure apart from the clock a window is asked about.
 */
import { DURATION_PATTERN, parseDurationMs } from '../../util/duration.js';

export interface PromotionWindow {
  /** Days of the week the window is open, 0 = Sunday … 6 = Saturday. */
  days: number[];
  /** Minutes after midnight: open from `start` until before `end` (end > start). */
  start: number;
  end: number;
  /** The IANA time zone the days and times are in (`UTC` unless given). */
  timeZone: string;
  /** As written, for messages. */
  text: string;
}

export interface PromotionPolicy {
  /** The environment releases are promoted from. */
  from: string;
  /** Promote the newest verified release by itself (false: only by `ferry promote` or `ferry approve`). */
  auto: boolean;
  /** A release waits for `ferry approve` before it is promoted. */
  approval: boolean;
  /** How long a release must have run verified in `from` before it is offered here, ms. */
  soakMs: number;
  /** When promotions into this environment may start; any time without one. */
  window?: PromotionWindow;
}

/** The JSON Schema of `promotion` (ferry.yaml's schema embeds it). */
export const PROMOTION_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['from'],
  properties: {
    from: { type: 'string', minLength: 1 },
    auto: { type: 'boolean' },
    approval: { enum: ['required', 'none'] },
    soak: { type: 'string', pattern: DURATION_PATTERN },
    window: { type: 'string', minLength: 1 },
  },
} as const;

export const PROMOTION_FIELDS = 'from, auto, approval, soak, window';

/** `promotion` as written (after the schema check). */
export interface PromotionInput {
  from: string;
  auto?: boolean;
  approval?: 'required' | 'none';
  soak?: string;
  window?: string;
}

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/**
 * `Mon-Fri 09:00-16:00`, `Sat,Sun 10:00-12:00 Europe/Berlin`: days (a day, a range, or a comma list of
 * either), a time range within one day (24 h clock), and an optional IANA time zone (UTC).
 */
export function parseWindow(text: string): PromotionWindow | string {
  const parts = text.trim().split(/\s+/);
  if (parts.length < 2 || parts.length > 3)
    return `"${text}" is not a window: write days, a time range and optionally a time zone (Mon-Fri 09:00-16:00 UTC)`;
  const [dayText, timeText, zone = 'UTC'] = parts as [string, string, string?];
  const days = new Set<number>();
  for (const item of dayText.toLowerCase().split(',')) {
    const [a, b] = item.split('-');
    const from = DAYS.indexOf(a?.slice(0, 3) ?? '');
    const to = b === undefined ? from : DAYS.indexOf(b.slice(0, 3));
    if (from < 0 || to < 0 || (a?.length ?? 0) < 3 || (b !== undefined && b.length < 3))
      return `"${dayText}" are not days: write Mon-Fri, Sat,Sun or Mon,Wed,Fri`;
    for (let d = from; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === to) break;
    }
  }
  const m = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(timeText);
  const minutes = m ? [Number(m[1]) * 60 + Number(m[2]), Number(m[3]) * 60 + Number(m[4])] : [];
  const [start, end] = minutes as [number?, number?];
  if (!m || Number(m[2]) > 59 || Number(m[4]) > 59 || start! > 24 * 60 || end! > 24 * 60 || !(end! > start!))
    return `"${timeText}" is not a time range within a day: write 09:00-16:00 (24 h clock, start before end)`;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    return `"${zone}" is not a time zone (an IANA name such as UTC or Europe/Berlin)`;
  }
  return { days: [...days].sort(), start: start!, end: end!, timeZone: zone, text: text.trim() };
}

/** Whether the window is open at `date`. */
export function windowOpen(w: PromotionWindow, date: Date): boolean {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: w.timeZone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(date);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  const day = DAYS.indexOf(get('weekday').toLowerCase().slice(0, 3));
  const minute = Number(get('hour')) * 60 + Number(get('minute'));
  return w.days.includes(day) && minute >= w.start && minute < w.end;
}

/** A problem of one environment's promotion, with the field it is about (for its location). */
export interface PromotionProblem {
  index: number;
  field: keyof PromotionInput | undefined;
  message: string;
}

/**
 * The environments' policies, or their problems: `from` must name another listed environment, the chain of
 * `from`s must not come back to where it started, the window must parse, and `auto: true` cannot go with
 * `approval: required`.
 */
export function checkPromotions(environments: readonly { name: string; promotion?: PromotionInput }[]): {
  policies: Map<string, PromotionPolicy>;
  problems: PromotionProblem[];
} {
  const names = new Set(environments.map((e) => e.name));
  const policies = new Map<string, PromotionPolicy>();
  const problems: PromotionProblem[] = [];
  environments.forEach((e, index) => {
    const p = e.promotion;
    if (!p) return;
    const at = (field: PromotionProblem['field'], message: string) => problems.push({ index, field, message });
    const where = `environments[${index}].promotion`;
    if (p.from === e.name) return at('from', `${where}.from: environment "${e.name}" cannot promote from itself`);
    if (!names.has(p.from))
      return at('from', `${where}.from: no environment "${p.from}" (known: ${[...names].join(', ')})`);
    if (p.auto === true && p.approval === 'required')
      return at('auto', `${where}: auto: true and approval: required contradict (approval waits for ferry approve)`);
    const window = p.window === undefined ? undefined : parseWindow(p.window);
    if (typeof window === 'string') return at('window', `${where}.window: ${window}`);
    const approval = p.approval === 'required';
    policies.set(e.name, {
      from: p.from,
      auto: p.auto ?? !approval,
      approval,
      soakMs: p.soak === undefined ? 0 : (parseDurationMs(p.soak) ?? 0),
      ...(window ? { window } : {}),
    });
  });
  // Each environment has one `from`: a cycle is a chain that comes back to where it started.
  environments.forEach((e, index) => {
    const chain = [e.name];
    for (let next = policies.get(e.name)?.from; next !== undefined; next = policies.get(next)?.from) {
      if (next === e.name) {
        problems.push({
          index,
          field: 'from',
          message: `environments[${index}].promotion.from: a cycle: ${[...chain, next].join(' ← ')}`,
        });
        break;
      }
      if (chain.includes(next)) break; // a cycle further up: reported at its own environments
      chain.push(next);
    }
  });
  return { policies, problems };
}

/** The environments in promotion order: each after the one it is promoted from (stable otherwise). */
export function promotionOrder<E extends { name: string; promotion?: PromotionPolicy }>(envs: readonly E[]): E[] {
  const fromOf = new Map(envs.map((e) => [e.name, e.promotion?.from]));
  const depth = (n: string, seen = new Set<string>()): number => {
    const from = fromOf.get(n);
    if (from === undefined || seen.has(n)) return 0;
    seen.add(n);
    return 1 + depth(from, seen);
  };
  return envs
    .map((e, i) => ({ e, i, d: depth(e.name) }))
    .sort((a, b) => a.d - b.d || a.i - b.i)
    .map((x) => x.e);
}
