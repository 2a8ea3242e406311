/**
 * The probabilistic matcher (Fellegi–Sunter): plain records in, scores,
 * evidence and clusters out. It imports no GraphQL, HTTP or storage code;
 * the callers (the evaluation command, training, and whatever stores
 * suggestions) bring the records.
 */
export { MATCH_FIELDS, isMatchField } from './fields.js';
export type { MatchField, MatchRecord, RawValue } from './fields.js';
export { ATTRIBUTES } from './attributes.js';
export type { AttributeSpec, ComparisonKind } from './attributes.js';
export { levelNames } from './comparisons.js';
export { prepareRecord } from './prepare.js';
export type { PrepareOptions, PreparedRecord } from './prepare.js';
export { matchModelSchema, compileModel, probabilityOf, ModelMismatchError } from './model.js';
export type { MatchModel, BlockingRule, CompiledModel } from './model.js';
export { DEFAULT_BLOCKING, DEFAULT_CLUSTERING, DEFAULT_THRESHOLDS } from './defaults.js';
export { blockingKeys, candidatePairs, comparablePairs } from './blocking.js';
export type { CandidatePairs } from './blocking.js';
export { MIN_TERM_FREQUENCY_POPULATION, TermFrequencies } from './termFrequencies.js';
export { scorePair, pairWeight } from './score.js';
export type { MatchEvidence, PairScore } from './score.js';
export { trainModel, TrainingError } from './train.js';
export type { TrainOptions, Training } from './train.js';
export { clusterRecords, groupsOf } from './cluster.js';
export type { Clustering, Link } from './cluster.js';
export { Matcher } from './matcher.js';
export type { MatcherOptions } from './matcher.js';
export { loadMatchModel, writeMatchModel, DEFAULT_MATCH_MODEL_FILE, MatchModelFileError } from './modelFile.js';
