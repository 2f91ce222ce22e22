// Benchmark harness: the registry of stack adapters, by the names used on the command line.
import { nodeDatachannel } from "./node-datachannel.js";
import { petrel } from "./petrel.js";
import type { Stack } from "./w3c.js";
import { werift } from "./werift.js";

export const STACKS: readonly Stack[] = [petrel, werift, nodeDatachannel];

export function findStack(name: string): Stack | undefined {
  return STACKS.find((s) => s.name === name);
}
