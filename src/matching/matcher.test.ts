import { describe, expect, it } from 'vitest';
import { handModel } from '../../test/support/matchModel.js';
import { candidatePairs, comparablePairs } from './blocking.js';
import { clusterRecords, groupsOf } from './cluster.js';
import type { MatchRecord } from './fields.js';
import { Matcher } from './matcher.js';
import { compileModel } from './model.js';
import type { BlockingRule } from './model.js';
import { prepareRecord } from './prepare.js';
import { mulberry32 } from './random.js';
import { scorePair } from './score.js';
import { TermFrequencies } from './termFrequencies.js';

const prepare = (records: readonly MatchRecord[]) => records.map((r) => prepareRecord(r, { defaultRegion: 'AU' }));
const person = (id: string, values: MatchRecord['values'], source?: string): MatchRecord => ({ id, values, source });

describe('term-frequency adjustment', () => {
  // Ten Smiths, two Zabrowskis; each pair agrees exactly on surname and birth date and nothing else is known.
  const records = prepare([
    ...Array.from({ length: 10 }, (_, i) => person(`smith${i}`, { lastName: 'smith', birthDate: i < 2 ? '1970-01-01' : `19${50 + i}-02-02` })),
    person('zab0', { lastName: 'zabrowski', birthDate: '1980-03-03' }),
    person('zab1', { lastName: 'zabrowski', birthDate: '1980-03-03' }),
  ]);
  const compiled = compileModel(handModel(['lastName', 'birthDate']));
  const frequencies = TermFrequencies.count(records, ['lastName']);
  const surname = (a: number, b: number) => scorePair(compiled, records[a]!, records[b]!, frequencies).evidence.find((e) => e.attribute === 'lastName')!;

  it('makes a match on a rare surname weigh more than a match on a common one, by log2 of their frequency ratio', () => {
    const common = surname(0, 1);
    const rare = surname(10, 11);
    expect([common.level, rare.level]).toEqual(['exact', 'exact']);
    // smith: 10 of 12 values, zabrowski: 2 of 12; u of exact is 0.01 and the level weighs 8 bits
    expect(common.weight).toBeCloseTo(8 + Math.log2(0.01 / (10 / 12)), 10);
    expect(rare.weight).toBeCloseTo(8 + Math.log2(0.01 / (2 / 12)), 10);
    expect(rare.weight - common.weight).toBeCloseTo(Math.log2(10 / 2), 10);
    expect(scorePair(compiled, records[10]!, records[11]!, frequencies).probability).toBeGreaterThan(scorePair(compiled, records[0]!, records[1]!, frequencies).probability);
  });

  it('leaves attributes without the adjustment, and scores without frequencies, at the level weight', () => {
    expect(scorePair(compiled, records[0]!, records[1]!).evidence).toEqual([
      { attribute: 'lastName', level: 'exact', weight: 8 },
      { attribute: 'birthDate', level: 'exact', weight: 8 },
    ]);
    expect(scorePair(compiled, records[0]!, records[1]!, frequencies).evidence[1]).toEqual({ attribute: 'birthDate', level: 'exact', weight: 8 });
  });
});

describe('evidence', () => {
  it('adds the prior and each attribute’s weight into the probability, missing attributes weighing nothing', () => {
    const compiled = compileModel(handModel(['firstName', 'lastName', 'email']));
    const [a, b] = prepare([person('a', { firstName: 'jon', lastName: 'smith' }), person('b', { firstName: 'john', lastName: 'smith', email: 'jon@example.com' })]);
    const score = scorePair(compiled, a!, b!);
    expect(score.evidence).toEqual([
      { attribute: 'firstName', level: 'oneEdit', weight: 4 },
      { attribute: 'lastName', level: 'exact', weight: 8 },
      { attribute: 'email', level: 'missing', weight: 0 },
    ]);
    expect(score.weight).toBeCloseTo(compiled.model.prior.weight + 12, 10);
    expect(score.probability).toBeCloseTo(1 / (1 + 2 ** -score.weight), 12);
  });
});

describe('blocking', () => {
  const rule = (name: string, ...fields: Array<'firstName' | 'lastName' | 'birthDate' | 'postcode'>): BlockingRule => ({ name, keys: fields.map((field) => ({ field, transform: 'value' })), unordered: false });

  it('unites the candidates of every rule and remembers which rules found each pair', () => {
    const records = prepare([
      person('a', { firstName: 'jon', lastName: 'smith', birthDate: '1970-01-01' }),
      person('b', { firstName: 'jon', lastName: 'smith', birthDate: '1971-01-01' }),
      person('c', { firstName: 'jan', lastName: 'smith', birthDate: '1970-01-01' }),
      person('d', { firstName: 'ann', lastName: 'lee', birthDate: '1990-05-05' }),
    ]);
    const found = candidatePairs(records, [rule('names', 'firstName', 'lastName'), rule('surname+dob', 'lastName', 'birthDate')], { maxBlockSize: 100, linkOnly: false });
    const pairs = Array.from({ length: found.count }, (_, p) => [records[found.left[p]!]!.id, records[found.right[p]!]!.id, found.rules[p]]);
    expect(pairs.sort()).toEqual([
      ['a', 'b', 0b01],
      ['a', 'c', 0b10],
    ]);
  });

  it('meets given name and surname written the other way round with an unordered rule', () => {
    const records = prepare([person('a', { firstName: 'jon', lastName: 'smith' }), person('b', { firstName: 'smith', lastName: 'jon' })]);
    const ordered = rule('names', 'firstName', 'lastName');
    expect(candidatePairs(records, [ordered], { maxBlockSize: 100, linkOnly: false }).count).toBe(0);
    expect(candidatePairs(records, [{ ...ordered, unordered: true }], { maxBlockSize: 100, linkOnly: false }).count).toBe(1);
  });

  it('skips a block larger than maxBlockSize and says so, and compares only across sources when linking', () => {
    const many = prepare(Array.from({ length: 6 }, (_, i) => person(`r${i}`, { lastName: 'smith', postcode: '2000' }, i < 3 ? 'A' : 'B')));
    const skipped = candidatePairs(many, [rule('surname', 'lastName')], { maxBlockSize: 5, linkOnly: false });
    expect({ count: skipped.count, skippedBlocks: skipped.skippedBlocks }).toEqual({ count: 0, skippedBlocks: { surname: 1 } });
    const linked = candidatePairs(many, [rule('surname', 'lastName')], { maxBlockSize: 10, linkOnly: true });
    expect(linked.count).toBe(9);
    expect(comparablePairs(many, true)).toBe(9);
    expect(comparablePairs(many, false)).toBe(15);
  });

  it('keeps the default rules’ candidates to a small fraction of all pairs while finding the duplicates', () => {
    const random = mulberry32(3);
    const word = (length: number) => Array.from({ length }, () => String.fromCharCode(97 + Math.floor(random() * 26))).join('');
    const typo = (value: string) => (random() < 0.3 ? value.slice(0, 2) + word(1) + value.slice(3) : value);
    const firstNames = Array.from({ length: 200 }, () => word(6));
    const lastNames = Array.from({ length: 400 }, () => word(8));
    const records: MatchRecord[] = [];
    const truth: string[] = [];
    for (let i = 0; i < 2_000; i++) {
      const values = {
        firstName: firstNames[Math.floor(random() * firstNames.length)]!,
        lastName: lastNames[Math.floor(random() * lastNames.length)]!,
        birthDate: `19${String(40 + Math.floor(random() * 60))}-0${1 + Math.floor(random() * 9)}-1${Math.floor(random() * 9)}`,
        postcode: String(2000 + Math.floor(random() * 800)),
        streetNumber: String(1 + Math.floor(random() * 200)),
      };
      records.push(person(`p${i}`, values));
      truth.push(`p${i}`);
      if (i % 4 === 0) {
        records.push(person(`p${i}-dup`, { ...values, firstName: typo(values.firstName), lastName: typo(values.lastName) }));
        truth.push(`p${i}`);
      }
    }
    const prepared = prepare(records);
    const matcher = new Matcher(handModel(['firstName', 'lastName', 'birthDate', 'postcode', 'streetNumber']), prepared);
    const candidates = matcher.candidates();
    const fraction = candidates.count / comparablePairs(prepared, false);
    let found = 0;
    for (let p = 0; p < candidates.count; p++) if (truth[candidates.left[p]!] === truth[candidates.right[p]!]) found++;
    expect(fraction).toBeLessThan(0.005);
    expect(found).toBe(500);
  });
});

describe('clustering', () => {
  /** Records 0–1 and 1–2 look alike; 0 and 2 are plainly two people. */
  const chain = [
    { left: 0, right: 1, probability: 0.99 },
    { left: 1, right: 2, probability: 0.98 },
  ];
  const probabilities = new Map([
    ['0,1', 0.99],
    ['1,2', 0.98],
    ['0,2', 1e-9],
  ]);
  const probability = (a: number, b: number) => probabilities.get(`${Math.min(a, b)},${Math.max(a, b)}`) ?? 0;

  it('refuses a chain that would put two unrelated records in one person', () => {
    const guarded = clusterRecords(3, chain, { threshold: 0.5, maxClusterSize: 50, minPairProbability: 1e-4, probability });
    expect({ groups: groupsOf(guarded), refused: guarded.refused }).toEqual({ groups: [[0, 1], [2]], refused: 1 });
    const unguarded = clusterRecords(3, chain, { threshold: 0.5, maxClusterSize: 50, minPairProbability: 0, probability });
    expect(groupsOf(unguarded)).toEqual([[0, 1, 2]]);
  });

  it('takes the strongest link first, keeps to the size limit and ignores links under the threshold', () => {
    const strongerSecond = [
      { left: 0, right: 1, probability: 0.9 },
      { left: 1, right: 2, probability: 0.99 },
    ];
    expect(groupsOf(clusterRecords(3, strongerSecond, { threshold: 0.5, maxClusterSize: 50, minPairProbability: 1e-4, probability }))).toEqual([[0], [1, 2]]);
    const triangle = () => 0.9;
    expect(groupsOf(clusterRecords(3, strongerSecond, { threshold: 0.5, maxClusterSize: 2, minPairProbability: 1e-4, probability: triangle }))).toEqual([[0], [1, 2]]);
    expect(groupsOf(clusterRecords(3, strongerSecond, { threshold: 0.5, maxClusterSize: 3, minPairProbability: 1e-4, probability: triangle }))).toEqual([[0, 1, 2]]);
    expect(groupsOf(clusterRecords(3, strongerSecond, { threshold: 0.95, maxClusterSize: 3, minPairProbability: 1e-4, probability: triangle }))).toEqual([[0], [1, 2]]);
  });

  it('applies the guard through the matcher with pairs blocking never compared', () => {
    // a and b share names and email, b and c birth date, address and phone; a and c share nothing.
    const records = prepare([
      person('a', { firstName: 'jon', lastName: 'smith', email: 'jon@example.com', phone: '+61412345678', birthDate: '1950-01-01', postcode: '2000', city: 'alpha' }),
      person('b', { firstName: 'jon', lastName: 'smith', email: 'jon@example.com', phone: '+61298765432', birthDate: '1990-06-06', postcode: '3000', city: 'beta' }),
      person('c', { firstName: 'ann', lastName: 'smithers', email: 'ann@example.org', phone: '+61298765432', birthDate: '1990-06-06', postcode: '3000', city: 'beta' }),
    ]);
    const model = handModel(['firstName', 'lastName', 'email', 'phone', 'birthDate', 'postcode', 'city']);
    const matcher = new Matcher(model, records, { frequencies: TermFrequencies.count(records, []) });
    const links = matcher.scoreCandidates(matcher.candidates());
    expect(links.map((l) => [l.left, l.right, l.probability > 0.5])).toEqual([
      [0, 1, true],
      [1, 2, true],
    ]);
    expect(matcher.probability(0, 2)).toBeLessThan(1e-4);
    // b–c is the stronger link, so b goes with c, and a, who would bring in a stranger to c, stays apart.
    const clustering = matcher.cluster(links);
    expect({ groups: groupsOf(clustering), refused: clustering.refused }).toEqual({ groups: [[0], [1, 2]], refused: 1 });
  });
});
