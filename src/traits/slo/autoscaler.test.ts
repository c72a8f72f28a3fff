import { describe, expect, it } from 'vitest';
import {
  type AutoscalerMemory,
  decideReplicas,
  type LatencyObjective,
  type Observation,
  type ScaleDecision,
  type ScalingPolicy,
  scalingPolicy,
} from './autoscaler.js';

/**
 * The oracle's world (gitops-prior-art.md, "Autoscaling anchors"): pods of capacity 100 rps and service
 * time 10 ms as M/M/1 queues, requests spread evenly over the ready pods, p99 ≤ 200 ms. A second by second
 * play: new pods are ready 10 s after they are asked for, and every 15 s the autoscaler reads what a
 * Prometheus query over the last minute would: the mean rate, and the exact p99 of the window's requests
 * (a mixture of exponentials, one per second), optionally with noise.
 */
const CAPACITY = 100;
const SERVICE_MS = 10;
const objective: LatencyObjective = { quantile: 0.99, maxMs: 200 };
const policy = scalingPolicy({ minReplicas: 2, maxReplicas: 30 });
const K = Math.log(100);
/** The fewest pods whose p99 meets the objective: n ≥ λ / (μ − ln(100)/T). */
const oracle = (rps: number) => Math.ceil(rps / (CAPACITY - K / (objective.maxMs / 1000)));
const meanMs = (rps: number, ready: number) =>
  ready === 0 ? 30_000 : SERVICE_MS / (1 - Math.min(rps / ready / CAPACITY, 0.99));
const p99 = (rps: number, ready: number) => K * meanMs(rps, ready);

/** Seeded uniform draws (mulberry32) and a normal from them. */
function gaussian(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
}

/** The q-quantile of the window's requests: bisection on the mixture's survival function. */
function windowQuantile(window: readonly { rps: number; ready: number }[]): number {
  const total = window.reduce((s, w) => s + w.rps, 0);
  const survival = (x: number) => window.reduce((s, w) => s + w.rps * Math.exp(-x / meanMs(w.rps, w.ready)), 0) / total;
  let [lo, hi] = [0, 1e7];
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (survival(mid) > 1 - objective.quantile) lo = mid;
    else hi = mid;
  }
  return lo;
}

interface Evaluation {
  t: number;
  observation: Observation;
  decision: ScaleDecision;
  /** The model's true p99 just before the decision. */
  trueP99: number;
}

interface Play {
  /** Requests per second at second t. */
  load: (t: number) => number;
  seconds: number;
  replicas: number;
  policy?: ScalingPolicy;
  /** Relative noise (standard deviation) of each latency read and of each second's request rate. */
  noise?: { latency: number; rate: number };
  /** The queries answer nothing at second t. */
  outage?: (t: number) => boolean;
}

/** Plays a load with the autoscaler in the loop; its memory goes through JSON between decisions. */
const QUIET = { latency: 0, rate: 0 };

function play({
  load,
  seconds,
  replicas,
  policy: p = policy,
  noise = QUIET,
  outage = () => false,
}: Play): Evaluation[] {
  const draw = gaussian(7);
  let pods: number[] = Array.from({ length: replicas }, () => Number.NEGATIVE_INFINITY);
  const history: { rps: number; ready: number }[] = [];
  const evaluations: Evaluation[] = [];
  let memory: AutoscalerMemory | undefined;
  for (let t = -60; t < seconds; t++) {
    const ready = pods.filter((at) => at <= t).length;
    history.push({ rps: load(Math.max(0, t)) * (1 + noise.rate * draw()), ready });
    if (t < 0 || t % 15 !== 7) continue;
    const window = history.slice(-60);
    const down = outage(t);
    const observation: Observation = {
      at: 1_800_000_000_000 + t * 1000,
      replicas: pods.length,
      readyReplicas: ready,
      rps: down ? undefined : window.reduce((s, w) => s + w.rps, 0) / 60,
      latencyMs: down ? undefined : windowQuantile(window) * Math.exp(noise.latency * draw()),
    };
    const r = decideReplicas({ objective, policy: p, observation, memory });
    memory = JSON.parse(JSON.stringify(r.memory)) as AutoscalerMemory;
    evaluations.push({ t, observation, decision: r.decision, trueP99: p99(load(t), ready) });
    pods = pods.slice(0, r.decision.desired);
    while (pods.length < r.decision.desired) pods.push(t + 10);
  }
  return evaluations;
}

/** A p99 read's noise over a minute of requests, and the jitter of each second's rate. */
const NOISY = { latency: 0.02, rate: 0.02 };
const step = (at: number, from: number, to: number) => (t: number) => (t < at ? from : to);
const desired = (es: Evaluation[]) => es.map((e) => e.decision.desired);
/** Times the replica count turned from going up to going down or back. */
function directionChanges(counts: number[]): number {
  let last = 0;
  let changes = 0;
  for (let i = 1; i < counts.length; i++) {
    const d = Math.sign(counts[i]! - counts[i - 1]!);
    if (d !== 0 && last !== 0 && d !== last) changes++;
    if (d !== 0) last = d;
  }
  return changes;
}

describe('decideReplicas against the M/M/1 oracle', () => {
  it.each([
    { quantiles: 'exact', noise: QUIET },
    { quantiles: "with noise: 2 % on each read and on each second's rate", noise: NOISY },
  ])('load 200 → 1,000 rps ($quantiles): within +15 % of the oracle in a few evaluations, and held', ({ noise }) => {
    expect(oracle(1000)).toBe(13);
    const es = play({ load: step(600, 200, 1000), seconds: 1200, replicas: oracle(200), noise });
    const after = es.filter((e) => e.t > 600);
    // Within four evaluations (a minute) of the step, and from then on: at least the oracle's 13 pods are
    // asked for, at most 15 % more.
    for (const e of after.slice(3)) {
      expect(e.decision.desired).toBeGreaterThanOrEqual(oracle(1000));
      expect(e.decision.desired).toBeLessThanOrEqual(Math.floor(oracle(1000) * 1.15));
    }
    // The true p99 is back under the objective within a minute, and stays there.
    for (const e of after.filter((e) => e.t >= 660)) expect(e.trueP99).toBeLessThanOrEqual(objective.maxMs);
    // Before the step: steady at the oracle's count (or one more), and the objective held.
    for (const e of es.filter((e) => e.t < 600)) {
      expect(e.decision.desired - oracle(200)).toBeLessThanOrEqual(1);
      expect(e.trueP99).toBeLessThanOrEqual(objective.maxMs);
    }
  });

  it('scales up at once: the first decision after the step asks for pods, the step limit bounds it', () => {
    const es = play({ load: step(600, 200, 1000), seconds: 700, replicas: 3 });
    const first = es.find((e) => e.t > 600)!;
    expect(first.decision.desired).toBe(7); // max(3 × 2, 3 + 4)
    expect(first.decision.reason).toMatch(/saturated \(over 3× the objective\): step up; 3 → 7$/);
  });

  it('load 1,000 → 200 rps: scales down only after the stabilization window, a quarter at most per step', () => {
    const es = play({ load: step(900, 1000, 200), seconds: 1800, replicas: 13 });
    // The last recommendation of the high count is the last decision before the drop: 60 s after it (the
    // window's rate shows the drop within it).
    const hold = policy.stabilizationMs / 1000;
    const last = es.filter((e) => e.t < 900).at(-1)!;
    const held = es.filter((e) => e.t > 900 && e.t < last.t + hold);
    expect(held.length).toBeGreaterThanOrEqual(3);
    for (const e of held) expect(e.decision.desired).toBe(last.decision.desired);
    expect(es.find((e) => e.t > last.t + hold)!.decision.desired).toBeLessThan(last.decision.desired);
    const later = desired(es.filter((e) => e.t >= last.t + hold));
    for (let i = 1; i < later.length; i++) expect(later[i]!).toBeGreaterThanOrEqual(Math.ceil(later[i - 1]! * 0.75));
    expect(later.at(-1)!).toBeLessThanOrEqual(oracle(200) + 1);
    expect(later.at(-1)!).toBeGreaterThanOrEqual(oracle(200));
    for (const e of es) expect(e.trueP99).toBeLessThanOrEqual(objective.maxMs);
  });

  it('respects the maximum and the minimum', () => {
    const high = play({ load: () => 5000, seconds: 600, replicas: 10 });
    expect(Math.max(...desired(high))).toBe(30);
    expect(high.at(-1)!.decision.reason).toMatch(/the maximum/);
    const low = play({ load: () => 10, seconds: 1200, replicas: 6 });
    expect(Math.min(...desired(low))).toBe(2);
    expect(low.at(-1)!.decision.desired).toBe(2);
  });

  it('keeps a steady noisy load from flapping', () => {
    for (const rps of [450, 700, 1000]) {
      const counts = desired(play({ load: () => rps, seconds: 3600, replicas: oracle(rps) + 2, noise: NOISY }));
      expect(directionChanges(counts), `${rps} rps: ${counts.join(' ')}`).toBe(0);
      expect(counts.at(-1)!).toBeGreaterThanOrEqual(oracle(rps));
      expect(counts.at(-1)!).toBeLessThanOrEqual(Math.ceil(oracle(rps) * 1.15));
    }
  });
});

describe('decideReplicas without data', () => {
  const outage = (t: number) => t >= 600 && t < 900;

  it('keeps the current replicas while the queries answer nothing (the load falls meanwhile), and says why', () => {
    const es = play({ load: step(600, 1000, 200), seconds: 900, replicas: 13, outage });
    const before = es.filter((e) => e.t < 600).at(-1)!.decision.desired;
    for (const e of es.filter((e) => outage(e.t))) {
      expect(e.decision.desired).toBe(before);
      expect(e.decision.reason).toMatch(new RegExp(`no data \\(no request rate\\): keeping ${before}$`));
      expect(e.decision.estimate).toBeUndefined();
    }
  });

  it('after the outage, waits a whole stabilization window before scaling down', () => {
    const es = play({ load: step(600, 1000, 200), seconds: 1500, replicas: 13, outage });
    const before = es.filter((e) => e.t < 600).at(-1)!.decision.desired;
    const lastOut = es.filter((e) => outage(e.t)).at(-1)!.t;
    const wait = es.filter((e) => e.t >= 900 && e.t < lastOut + policy.stabilizationMs / 1000);
    expect(wait.length).toBeGreaterThanOrEqual(3);
    for (const e of wait) expect(e.decision.desired).toBe(before);
    expect(es.at(-1)!.decision.desired).toBeLessThan(before);
  });

  it.each([
    { lacks: 'no latency', observation: { rps: 500, latencyMs: undefined, readyReplicas: 5 } },
    { lacks: 'no ready pod', observation: { rps: 500, latencyMs: 120, readyReplicas: 0 } },
  ])('keeps the replicas on $lacks', ({ lacks, observation }) => {
    const o: Observation = { at: 0, replicas: 5, ...observation };
    const { decision } = decideReplicas({ objective, policy, observation: o });
    expect(decision).toEqual({ desired: 5, reason: `p99 ≤ 200 ms (headroom 5 %); no data (${lacks}): keeping 5` });
  });

  it('brings replicas outside the bounds back within them, data or not', () => {
    const o: Observation = { at: 0, replicas: 40, readyReplicas: 40, rps: undefined, latencyMs: undefined };
    expect(decideReplicas({ objective, policy, observation: o }).decision.desired).toBe(30);
  });
});

describe('decideReplicas on observations it must not trust', () => {
  /** The memory of a steady 500 rps on 7 pods (about 71 rps each, p99 ≈ 160 ms) for ten minutes. */
  const steady = () => {
    let memory: AutoscalerMemory | undefined;
    for (let i = 0; i < 40; i++) {
      const observation = { at: i * 15_000, replicas: 7, readyReplicas: 7, rps: 500, latencyMs: p99(500, 7) };
      memory = decideReplicas({ objective, policy, observation, memory }).memory;
    }
    return memory!;
  };

  it('does not step up again on the old window while the new pods get ready', () => {
    // A step to 900 rps saturates the 7 pods: the first decision doubles them. The next observations
    // still show the saturated window (the new pods not ready, then not yet a whole window old): no more
    // doubling, only what the rate asks for.
    let memory = steady();
    const observe = (i: number, replicas: number, readyReplicas: number, rps: number, latencyMs: number) => {
      const r = decideReplicas({
        objective,
        policy,
        observation: { at: i * 15_000, replicas, readyReplicas, rps, latencyMs },
        memory,
      });
      memory = r.memory;
      return r.decision;
    };
    expect(observe(40, 7, 7, 600, 4000).desired).toBe(14);
    for (const [i, ready, rps] of [
      [41, 7, 700],
      [42, 14, 800],
      [43, 14, 900],
    ] as const) {
      const next = observe(i, 14, ready, rps, 4000);
      expect(next.desired).toBe(14);
      expect(next.reason).not.toMatch(/saturated/);
      expect(memory.pending).toBeUndefined();
    }
  });

  it('goes back to the count before a scale-down that broke the objective', () => {
    const memory = steady();
    const shrink = { at: 40 * 15_000, replicas: 6, readyReplicas: 6, rps: 430, latencyMs: 150 };
    const after = decideReplicas({ objective, policy, observation: shrink, memory }).memory;
    const observation = { at: 41 * 15_000, replicas: 6, readyReplicas: 6, rps: 430, latencyMs: 260 };
    const r = decideReplicas({ objective, policy, observation, memory: after });
    expect(r.decision.desired).toBe(7);
    expect(r.decision.reason).toMatch(/above the objective since the last decrease: back to 7; 6 → 7$/);
    // Once the next observation shows the rate held, the rate per pod it broke at is remembered: no aim above it.
    const next = { at: 42 * 15_000, replicas: 7, readyReplicas: 6, rps: 430, latencyMs: 250 };
    const { decision, memory: later } = decideReplicas({ objective, policy, observation: next, memory: r.memory });
    expect(later.breaches).toEqual([{ at: 41 * 15_000, ratePerPod: 71.667 }]);
    expect(decision.reason).toMatch(/aim 68.1 rps\/pod \(broke at 71.7\)/);
  });

  it('keeps its memory small: samples thinned per band of rates, the last window of rates', () => {
    let memory: AutoscalerMemory | undefined;
    for (let i = 0; i < 2 * 240; i++) {
      const rps = 300 + 200 * Math.sin(i / 40);
      const replicas = memory?.pods.replicas ?? 7;
      const latencyMs = p99(rps, replicas);
      const observation = { at: i * 15_000, replicas, readyReplicas: replicas, rps, latencyMs };
      memory = decideReplicas({ objective, policy, observation, memory }).memory;
    }
    expect(memory!.samples.length).toBeLessThanOrEqual(100);
    expect(memory!.rates.length).toBeLessThanOrEqual(7);
    expect(memory!.recommendations.length).toBeLessThanOrEqual(21);
    expect(JSON.stringify(memory).length).toBeLessThan(8000);
  });

  it('explains a decision in one line: objective, observed, model, estimate, replicas', () => {
    const observation = { at: 40 * 15_000, replicas: 7, readyReplicas: 7, rps: 500, latencyMs: 260 };
    const { decision } = decideReplicas({ objective, policy, observation, memory: steady() });
    expect(decision.reason).toBe(
      'p99 ≤ 200 ms (headroom 5 %); observed 260 ms at 500 rps on 7/7 ready; ' +
        'model 100 rps/pod, 10 ms service (M/M/1, 4 samples); ' +
        'above the objective on settled pods: 8 by an M/M/1 queue through it; 7 → 8',
    );
    expect(decision.estimate).toEqual({ capacityRps: 100, serviceMs: 10, predictedMs: expect.any(Number) });
    expect(decision.estimate!.predictedMs).toBeLessThanOrEqual(200);
  });
});
