import type { CombinationCondition, LeafCondition } from '../../schema.js';
import { compileCombination } from './combination.js';
import { compileNoData } from './no-data.js';
import { compileRate } from './rate.js';
import { compileState, isGate } from './state.js';
import { compileThreshold } from './threshold.js';
import type { CompiledCondition } from './types.js';

export type { CompiledCondition, Description, Levels } from './types.js';

export function compileLeaf(c: LeafCondition, hysteresis: number): CompiledCondition {
  switch (c.type) {
    case 'threshold':
      return compileThreshold(c, hysteresis);
    case 'rate':
      return compileRate(c, hysteresis) as CompiledCondition;
    case 'no_data':
      return compileNoData(c) as CompiledCondition;
    case 'state':
      return compileState(c) as CompiledCondition;
    default:
      throw new Error(`unknown condition type "${(c as { type: unknown }).type}"`);
  }
}

/** A device-level condition: a leaf, or all / any over leaves (k_of_n is compiled in kofn.ts). */
export function compileDeviceCondition(c: LeafCondition | CombinationCondition, hysteresis: number): CompiledCondition {
  if ('conditions' in c) {
    const children = c.conditions.map((leaf) => ({ cond: compileLeaf(leaf, hysteresis), gate: leaf.type === 'state' && isGate(leaf) }));
    return compileCombination(c, children) as CompiledCondition;
  }
  return compileLeaf(c, hysteresis);
}
