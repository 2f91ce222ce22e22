// Benchmark harness: what a scenario is (one figure for one stack, measured inside a child process)
// and what it reports back to bench/run.ts.
import type { LoadedStack } from "../stacks/w3c.js";

export interface ScenarioContext {
  stack: LoadedStack;
  /** The stack's name, for error messages. */
  name: string;
  /** Scenario parameter from the command line (message size, number of pairs...). */
  param: number;
  /** Soft time budget in ms: the scenario stops measuring and reports what it has by then. */
  budgetMs: number;
  /**
   * Records a figure reached so far (marked capped). If the child is killed at its hard cap, the
   * parent reports the last one instead of nothing.
   */
  partial(r: ScenarioResult): void;
}

export interface ScenarioResult {
  /** The figure (unit given by the job definition in bench/run.ts). */
  value: number;
  /** One line of supporting numbers (spread, counts...). */
  detail: string;
  /** True when the time budget cut the measurement short: the figure is what was reached. */
  capped: boolean;
  /** More figures of the same run, by key (bench/run.ts's Job.extra gives their labels and units). */
  extra?: Record<string, number>;
}

export type Scenario = (ctx: ScenarioContext) => Promise<ScenarioResult>;

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((x, y) => x - y);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
