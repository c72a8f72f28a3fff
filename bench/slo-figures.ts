/**
 * How bench:slo scores a run of an autoscaler against a load profile, in the model-in-the-loop world and
 * on the rig alike: from the replicas and the true quantile (the simulator's model for the ready pods) of
 * every second, the share of seconds the objective held, replica-minutes (total and per phase), the time
 * after the ×3 step until the quantile stays under the objective, and the most direction changes of the
 * replica count within a phase of constant load; and the table that prints them.
 */
import type { Behaviour } from '../src/localcluster/traffic/behaviour.js';
import { oracleReplicas, type Phase, phaseAt, rateAt, trueQuantileMs } from './slo-world.js';

/** Per second of a run: spec replicas and the model's quantile for the ready pods. */
export interface Trace {
  replicas: number[];
  p99: number[];
}

export interface Figures {
  held: number;
  replicaMinutes: number;
  /** Replica-minutes per phase of the profile. */
  phaseMinutes: number[];
  recoveryS: number;
  directionChanges: number;
}

/** What a run is scored against: the profile (its second phase is the step), the objective, the settle time. */
export interface Scoring {
  profile: readonly Phase[];
  quantile: number;
  maxMs: number;
  /** Seconds left out of "SLO held" at the start and after a step or a drop. */
  settleS: number;
}

export const totalSeconds = (profile: readonly Phase[]) => profile.reduce((s, p) => s + p.seconds, 0);

/** bench:slo's load profile, each phase `seconds` long: steady 300 rps, a ×3 step, a ramp to 1,500, a drop to 500. */
export const loadProfile = (seconds: number): Phase[] => [
  { name: 'steady 300 rps', kind: 'steady', seconds, fromRps: 300, toRps: 300 },
  { name: '×3 step to 900 rps', kind: 'step', seconds, fromRps: 300, toRps: 900 },
  { name: 'ramp to 1,500 rps', kind: 'ramp', seconds, fromRps: 900, toRps: 1500 },
  { name: 'drop to 500 rps', kind: 'drop', seconds, fromRps: 1500, toRps: 500 },
];

export function figures(trace: Trace, { profile, maxMs, settleS }: Scoring): Figures {
  let counted = 0;
  let held = 0;
  let lastViolation = -1;
  const stepAt = profile[0]!.seconds;
  const changes = new Map<string, number>();
  const last = new Map<string, number>();
  const totalS = Math.min(totalSeconds(profile), trace.replicas.length);
  for (let t = 0; t < totalS; t++) {
    const { phase, start } = phaseAt(profile, t);
    const ok = trace.p99[t]! <= maxMs;
    if (t >= settleS && !(phase.kind !== 'steady' && phase.kind !== 'ramp' && t - start < settleS))
      [counted, held] = [counted + 1, held + (ok ? 1 : 0)];
    if (!ok && t >= stepAt && t < stepAt + profile[1]!.seconds) lastViolation = t;
    const d = Math.sign(trace.replicas[t]! - (trace.replicas[t - 1] ?? trace.replicas[t]!));
    if (d !== 0 && phase.kind !== 'ramp' && t > start) {
      const before = last.get(phase.name);
      if (before !== undefined && before !== d) changes.set(phase.name, (changes.get(phase.name) ?? 0) + 1);
      last.set(phase.name, d);
    }
  }
  return {
    held: held / counted,
    replicaMinutes: trace.replicas.slice(0, totalS).reduce((s, n) => s + n, 0) / 60,
    phaseMinutes: profile.map((_, i) => {
      const start = profile.slice(0, i).reduce((s, p) => s + p.seconds, 0);
      return trace.replicas.slice(start, start + profile[i]!.seconds).reduce((s, n) => s + n, 0) / 60;
    }),
    recoveryS: lastViolation < 0 ? 0 : lastViolation - stepAt + 1,
    directionChanges: Math.max(0, ...changes.values()),
  };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export type Summary = ReturnType<typeof summarise>;

/** A controller's runs against the oracle's: worst and mean of each figure. */
export function summarise(name: string, runs: Figures[], oracle: Figures) {
  const held = runs.map((r) => r.held);
  const ratio = runs.map((r) => r.replicaMinutes / oracle.replicaMinutes);
  const recovery = runs.map((r) => r.recoveryS);
  const changes = runs.map((r) => r.directionChanges);
  return {
    name,
    heldWorst: Math.min(...held),
    heldMean: mean(held),
    replicaRatioWorst: Math.max(...ratio),
    replicaRatioMean: mean(ratio),
    recoveryWorstS: Math.max(...recovery),
    recoveryMeanS: mean(recovery),
    directionChangesWorst: Math.max(...changes),
    /** Mean replica-minutes ÷ the oracle's, per phase. */
    phaseRatios: oracle.phaseMinutes.map((o, i) => Number(mean(runs.map((r) => r.phaseMinutes[i]! / o)).toFixed(3))),
  };
}

/** An ideal controller's trace: `replicasFor` the profile's exact rate every second, its pods ready at once. */
function idealTrace(b: Behaviour, s: Scoring, replicasFor: (rps: number) => number): Trace {
  const trace: Trace = { replicas: [], p99: [] };
  for (let t = 0; t < totalSeconds(s.profile); t++) {
    const rps = rateAt(s.profile, t);
    const n = replicasFor(rps);
    trace.replicas.push(n);
    trace.p99.push(trueQuantileMs(b, rps, n, s.quantile));
  }
  return trace;
}

/**
 * The baselines a run is compared with, on the same profile: the oracle (the fewest pods whose model quantile
 * meets the objective, every second), the ideal 70 % utilisation target, and the oracle held for each of
 * `holdsS` seconds before a decrease; the oracle's figures, and a summarised row for each.
 */
export function baselines(b: Behaviour, s: Scoring, holdsS: readonly number[]): { oracle: Figures; rows: Summary[] } {
  const oracleTrace = idealTrace(b, s, (rps) => oracleReplicas(b, rps, s.quantile, s.maxMs));
  const oracle = figures(oracleTrace, s);
  const utilisation = figures(
    idealTrace(b, s, (rps) => Math.ceil(rps / (0.7 * b.capacityRps!))),
    s,
  );
  const held = holdsS.map((holdS) => {
    const replicas = oracleTrace.replicas.map((_, t) =>
      Math.max(...oracleTrace.replicas.slice(Math.max(0, t - holdS), t + 1)),
    );
    return summarise(`oracle, ${holdS / 60} min scale-down hold`, [figures({ ...oracleTrace, replicas }, s)], oracle);
  });
  return {
    oracle,
    rows: [
      summarise('utilisation 70 % (ideal)', [utilisation], oracle),
      summarise('oracle', [oracle], oracle),
      ...held,
    ],
  };
}

const pct = (x: number) => (x === 1 ? '100 %' : `${(100 * x).toFixed(2)} %`);
const widths = [36, 20, 22, 22, 20];
const line = (cells: string[]) =>
  console.log(`  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('')}`);

/** The table of one pod model: a row per controller (worst run, the mean in brackets). */
export function printTable(title: string, rows: readonly Summary[], profile: readonly Phase[]): void {
  console.log('');
  line([title, 'SLO held', 'replica-min ÷ oracle', 'back under after ×3', 'direction changes']);
  line(['  target', '≥ 99 %', '≤ 1.15×', '≤ 60 s', '≤ 1 per phase']);
  for (const r of rows) {
    line([
      `  ${r.name}`,
      `${pct(r.heldWorst)} (${pct(r.heldMean)})`,
      `${r.replicaRatioWorst.toFixed(2)}× (${r.replicaRatioMean.toFixed(2)}×)`,
      `${r.recoveryWorstS} s (${r.recoveryMeanS.toFixed(0)} s)`,
      `${r.directionChangesWorst}`,
    ]);
    const perPhase = profile.map((p, i) => `${p.kind} ${r.phaseRatios[i]!.toFixed(2)}×`);
    if (r.name.startsWith('ferry')) console.log(`      replica-min ÷ oracle per phase: ${perPhase.join(', ')}`);
  }
}
