/**
 * npm run bench:slo — the SLO autoscaler (src/traits/slo/autoscaler.ts) in the loop with the traffic
 * simulator's own model (bench/slo-world.ts): model-in-the-loop, seeded, some 60 hours of simulated time in
 * seconds. The load: 300 rps for 10 min, a ×3 step to 900 rps for 10 min, a slow ramp to 1,500 rps over
 * 10 min, a drop to 500 rps for 10 min (each second's rate jittered by ±0.5 %); objective p99 ≤ 200 ms,
 * replicas 2–40 starting at 5, a decision every 15 s (at an offset that differs per run) on what Prometheus
 * would answer over a `--window` (default 60 s), the quantile read from the buckets as the controller reads
 * it (src/metrics/histogram.ts), new pods ready 5–10 s after they are asked for.
 *
 * Compared in the same runs, on the same draws: the autoscaler with Istio's coarse buckets, reading the
 * quantile linearly (as `histogram_quantile`) with either buckets, and with the HPA's 5 min stabilization
 * instead of 1; an HPA-style proportional controller on the p99 (desired = ceil(replicas × observed ÷
 * 170 ms), 10 % tolerance, the same step limits, the HPA's 5 min stabilization); the ideal utilisation
 * target (ceil(rate ÷ (0.7 × capacity)) every second, perfect knowledge, pods ready at once); the oracle
 * (the fewest pods whose model p99 meets the objective, every second), and the oracle held for 1 and 5 min
 * before each decrease. Per
 * controller, worst run (mean): the share of seconds whose model p99 met the objective, leaving out the
 * first minute and the first 60 s after the step and the drop; replica-minutes ÷ the oracle's (and per
 * phase); the time after the ×3 step until the p99 stays under the objective; the most direction changes of
 * the replica count within a phase of constant load. Three pod models: the issue's (100 rps capacity, 10 ms
 * service: an M/M/1 queue), and two whose service time is not 1/capacity (5 ms, and the simulator's
 * default 20 ms).
 */
import { parseArgs } from 'node:util';
import { type Behaviour, behaviourOf } from '../src/localcluster/traffic/behaviour.js';
import { seeded } from '../src/localcluster/traffic/rng.js';
import {
  type AutoscalerMemory,
  decideReplicas,
  type LatencyObjective,
  type Observation,
  type ScalingPolicy,
  scalingPolicy,
} from '../src/traits/slo/autoscaler.js';
import { clampReplicas, downLimit, upLimit } from '../src/traits/slo/policy.js';
import { ISTIO_BUCKETS_MS } from '../src/localcluster/traffic/exposition.js';
import {
  baselines,
  figures,
  loadProfile,
  printTable,
  type Scoring,
  summarise,
  totalSeconds,
  type Trace,
} from './slo-figures.js';
import { type QuantileReading, rateAt, trueQuantileMs, Workload } from './slo-world.js';

const { values: args } = parseArgs({
  options: { runs: { type: 'string' }, seed: { type: 'string' }, window: { type: 'string' } },
});
const RUNS = Number(args.runs ?? 10);
const SEED = Number(args.seed ?? 1);
const WINDOW_S = Number(args.window ?? 60);
const OBJECTIVE: LatencyObjective = { quantile: 0.99, maxMs: 200 };
const POLICY = scalingPolicy({ minReplicas: 2, maxReplicas: 40, windowMs: WINDOW_S * 1000 });
const START_REPLICAS = 5;
const SETTLE_S = 60;
const PROFILE = loadProfile(600);
const PODS = [
  { label: '100 rps/pod, 10 ms (M/M/1)', capacity: '100', latency: '10' },
  { label: '100 rps/pod, 5 ms', capacity: '100', latency: '5' },
  { label: '100 rps/pod, 20 ms', capacity: '100', latency: '20' },
];
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`--runs: a positive integer, not ${args.runs}`);
if (!(WINDOW_S >= 15)) throw new Error(`--window: seconds, at least 15, not ${args.window}`);

/** An autoscaler in the loop: an observation in, the replicas it wants out. */
type Controller = (o: Observation) => number;

function sloAutoscaler(policy: ScalingPolicy): Controller {
  let memory: AutoscalerMemory | undefined;
  return (observation) => {
    const r = decideReplicas({ objective: OBJECTIVE, policy, observation, memory });
    memory = r.memory;
    return r.decision.desired;
  };
}

/** HPA's algorithm on the p99 as an object metric, with HPA's default behaviour. */
function proportional(policy: ScalingPolicy): Controller {
  const recs: { at: number; n: number }[] = [];
  const aim = OBJECTIVE.maxMs * 0.85;
  return (o) => {
    if (o.latencyMs === undefined) return o.replicas;
    const ratio = o.latencyMs / aim;
    const n = Math.abs(ratio - 1) <= 0.1 ? o.replicas : Math.ceil(o.replicas * ratio);
    recs.push({ at: o.at, n });
    while (recs[0]!.at <= o.at - policy.stabilizationMs) recs.shift();
    const highest = Math.max(...recs.map((r) => r.n));
    const target = n > o.replicas ? n : Math.min(o.replicas, highest);
    return clampReplicas(
      Math.max(downLimit(o.replicas, policy), Math.min(upLimit(o.replicas, policy), target)),
      policy,
    );
  };
}

const totalS = totalSeconds(PROFILE);
const SCORING: Scoring = { profile: PROFILE, ...OBJECTIVE, settleS: SETTLE_S };

function runLoop(b: Behaviour, loop: Loop, seed: number, offsetS: number): Trace {
  const random = seeded(seed);
  const load = seeded(seed ^ 0x5f3759df);
  const controller = loop.make();
  const w = new Workload(b, random, WINDOW_S, START_REPLICAS, loop.bounds, loop.reading);
  const trace: Trace = { replicas: [], p99: [] };
  for (let t = -WINDOW_S; t < 0; t++) w.serve(t, rateAt(PROFILE, 0) * (1 + 0.01 * (load.next() - 0.5)));
  for (let t = 0; t < totalS; t++) {
    const rps = rateAt(PROFILE, t) * (1 + 0.01 * (load.next() - 0.5));
    w.serve(t, rps);
    trace.p99.push(trueQuantileMs(b, rps, w.readyAt(t), OBJECTIVE.quantile));
    trace.replicas.push(w.replicas);
    if ((t - offsetS) % (POLICY.periodMs / 1000) === 0) w.scale(controller(w.observe(t, OBJECTIVE.quantile)), t);
  }
  return trace;
}

/** The ideal controllers: replicas from the true rate every second, ready at once. */
/** An autoscaler in the loop, and how it reads the quantile from which buckets. */
interface Loop {
  name: string;
  make: () => Controller;
  reading?: QuantileReading;
  bounds?: readonly number[];
}
const ISTIO_BOUNDS = ISTIO_BUCKETS_MS.map((b) => b / 1000);

/** The autoscalers in the loop, each on the same draws. */
const LOOPS: Loop[] = [
  { name: 'ferry slo autoscaler', make: () => sloAutoscaler(POLICY) },
  { name: "ferry slo, Istio's buckets", make: () => sloAutoscaler(POLICY), bounds: ISTIO_BOUNDS },
  { name: 'ferry slo, linear quantile', make: () => sloAutoscaler(POLICY), reading: 'linear' },
  {
    name: "ferry slo, Istio's, linear",
    make: () => sloAutoscaler(POLICY),
    bounds: ISTIO_BOUNDS,
    reading: 'linear',
  },
  { name: 'ferry slo, 5 min stabilization', make: () => sloAutoscaler({ ...POLICY, stabilizationMs: 300_000 }) },
  { name: 'HPA on p99 (proportional)', make: () => proportional({ ...POLICY, stabilizationMs: 300_000 }) },
];

function scenario(pods: (typeof PODS)[number]) {
  const b = behaviourOf(['example/web:v1'], {
    'sim.ferry.dev/capacity-rps': pods.capacity,
    'sim.ferry.dev/latency-ms': pods.latency,
  });
  const { oracle, rows } = baselines(b, SCORING, [POLICY.stabilizationMs / 1000, 300]);
  const loops = LOOPS.map((loop) => {
    const runs = Array.from({ length: RUNS }, (_, run) =>
      figures(runLoop(b, loop, SEED + run, (SEED + run) % 15), SCORING),
    );
    return summarise(loop.name, runs, oracle);
  });
  return [...loops, ...rows];
}

const started = performance.now();
const results = PODS.map((pods) => ({ pods: pods.label, rows: scenario(pods) }));
const seconds = (performance.now() - started) / 1000;

console.log(
  `bench:slo — model-in-the-loop (the traffic simulator's model), ${RUNS} seeded runs of ${totalS / 60} min, ` +
    `${seconds.toFixed(1)} s`,
);
console.log(
  `  p${OBJECTIVE.quantile * 100} ≤ ${OBJECTIVE.maxMs} ms; replicas ${POLICY.minReplicas}–${POLICY.maxReplicas} ` +
    `(${START_REPLICAS} at the start); a decision every ${POLICY.periodMs / 1000} s on a ${WINDOW_S} s window; ` +
    'new pods ready 5–10 s later',
);
console.log(`  load: ${PROFILE.map((p) => `${p.name} (${p.seconds / 60} min)`).join(', ')}`);
console.log('  each figure: worst run (mean of the runs)');
for (const { pods, rows } of results) printTable(`pods: ${pods}`, rows, PROFILE);
console.log(
  JSON.stringify({
    bench: 'slo',
    mode: 'model-in-the-loop',
    runs: RUNS,
    seed: SEED,
    windowS: WINDOW_S,
    objective: OBJECTIVE,
    profile: PROFILE,
    results,
  }),
);
