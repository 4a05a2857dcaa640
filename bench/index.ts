// `npm run bench`: every benchmark, one JSON line each: { name, ours, baseline, ratio, unit, details? }.
// Each measures Parley and its baseline in the same run, on this machine, now.
import { fanout } from './fanout.js';
import { match } from './match.js';
import { pipeline, pipelineCpu } from './pipeline.js';
import { transcript } from './transcript.js';
import type { Benchmark } from './types.js';

// pipeline and pipeline_cpu share their measurements (one run of each side) when both are asked for.
const BENCHMARKS: Record<string, Benchmark> = { match, pipeline, pipeline_cpu: pipelineCpu, transcript, fanout };
BENCHMARKS.startup = async () => (await import('./startup.js')).startup();
BENCHMARKS.instances = async () => (await import('./instances.js')).instances();

const only = process.argv.slice(2);
for (const [name, run] of Object.entries(BENCHMARKS)) {
  if (only.length > 0 && !only.includes(name)) continue;
  console.log(JSON.stringify(await run()));
}
process.exit(0);
