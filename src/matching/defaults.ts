import type { MatchField } from './fields.js';
import type { BlockingRule, MatchModel } from './model.js';

/**
 * Settings a new model starts from (`npm run resolution:train` writes them
 * into the model file, where an operator may change them). A rule whose
 * attributes the data lacks is left out, so one list serves any subset of
 * attributes.
 */
type Part = MatchField | `${'phonetic' | 'year' | 'initial'}(${MatchField})`;

function rule(parts: readonly Part[], options: { unordered?: boolean } = {}): BlockingRule {
  const keys = parts.map((part) => {
    const call = /^(\w+)\((\w+)\)$/.exec(part);
    return call ? { field: call[2] as MatchField, transform: call[1] as 'phonetic' | 'year' | 'initial' } : { field: part as MatchField, transform: 'value' as const };
  });
  return { name: parts.join('+') + (options.unordered ? ' (either order)' : ''), keys, unordered: options.unordered ?? false };
}

export const DEFAULT_BLOCKING: MatchModel['blocking'] = {
  maxBlockSize: 400,
  rules: [
    rule(['firstName', 'lastName'], { unordered: true }),
    rule(['lastName', 'birthDate']),
    rule(['firstName', 'birthDate']),
    rule(['birthDate', 'postcode']),
    rule(['birthDate', 'city']),
    rule(['postcode', 'streetNumber']),
    rule(['lastName', 'postcode']),
    rule(['street', 'city']),
    rule(['phonetic(firstName)', 'phonetic(lastName)']),
    rule(['nationalId']),
    rule(['email']),
    rule(['phone']),
  ],
};

export const DEFAULT_THRESHOLDS: MatchModel['thresholds'] = { review: 0.5, autoMerge: null };

export const DEFAULT_CLUSTERING: MatchModel['clustering'] = { maxClusterSize: 50, minPairProbability: 0.0001 };
