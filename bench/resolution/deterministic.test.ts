import { describe, expect, it } from 'vitest';
import { RULE_SETS, resolveDeterministic } from './deterministic.js';
import { readFebrl } from './febrl.js';
import { pairCounts } from './pairMetrics.js';

/**
 * The deterministic half of `npm run resolution:eval` runs the real identify
 * path over an in-memory single view: a slice of FEBRL 3 through it must
 * start (the engine's configuration is complete) and score as exact matching
 * on a stable number does (every pair it makes is right).
 */
describe('the deterministic engine on FEBRL 3', () => {
  it('links records by CRM_ID through identify, making no wrong pair', async () => {
    const { records, clusters } = readFebrl('dataset3');
    const slice = records.slice(0, 400);
    const truth = clusters.slice(0, 400);
    const crmId = RULE_SETS.find((rules) => rules.name === 'CRM_ID')!;
    const customers = await resolveDeterministic(slice, crmId);
    const counts = pairCounts(customers, truth);
    expect(counts.predictedPairs).toBeGreaterThan(0);
    expect(counts.correctPairs).toBe(counts.predictedPairs);
  });
});
