// The shape every benchmark returns, so that bench/index.ts can print and check them alike.

export interface BenchResult {
  name: string;
  /** Parley's figure, in `unit`. */
  ours: number;
  /** The baseline's figure, measured in the same run, in `unit`. */
  baseline: number;
  /** ours / baseline (for rates: how many times faster). */
  ratio: number;
  unit: string;
  /** Further figures worth printing (sizes, percentiles), not compared. */
  details?: Record<string, number | string>;
}

export type Benchmark = () => Promise<BenchResult>;
