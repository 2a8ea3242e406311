import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readFebrl } from '../bench/resolution/febrl.js';
import { Matcher, loadMatchModel, prepareRecord, trainModel } from '../src/matching/index.js';

const febrl3 = readFebrl('dataset3');
const prepared = febrl3.records.map((r) => prepareRecord(r, { defaultRegion: 'AU' }));

describe('config/match-model.json', () => {
  it('is what training on FEBRL 3 gives today, so the shipped weights can be reproduced (npm run resolution:train)', () => {
    const shipped = loadMatchModel().model;
    const { model } = trainModel(prepared, { name: 'febrl3', description: shipped.training.description, now: new Date(shipped.trainedAt) });
    expect(model).toEqual(shipped);
  });

  it('gives the evidence docs/identity-resolution.md shows under "Reading the evidence"', () => {
    const doc = readFileSync(new URL('../docs/identity-resolution.md', import.meta.url), 'utf8');
    const table = doc.slice(doc.indexOf('### Reading the evidence'), doc.indexOf('Read it as a sum'));
    const rows = [...table.matchAll(/^\| (\w+) \| ([^|]*?) \| ([^|]*?) \| (\w+) \| ([+−-][\d.]+) \|$/gm)].map((m) => ({ attribute: m[1]!, left: m[2]!, right: m[3]!, level: m[4]!, weight: Number(m[5]!.replace('−', '-')) }));
    const find = (name: string) => febrl3.records.findIndex((r) => `${r.values.firstName} ${r.values.lastName}` === name);
    const left = find(`${rows[0]!.left} ${rows[1]!.left}`);
    const right = find(`${rows[0]!.right} ${rows[1]!.right}`);
    const score = new Matcher(loadMatchModel(), prepared).explain(left, right);
    expect(rows.map(({ attribute, level, weight }) => ({ attribute, level, weight }))).toEqual(score.evidence.map((e) => ({ attribute: e.attribute, level: e.level, weight: Number(e.weight.toFixed(2)) })));
    const prior = /\| \(prior\) \| \| \| \| ([−-][\d.]+) \|/.exec(table)![1]!;
    const total = /\*\*score\*\* \| \| \| \| \*\*\+([\d.]+)\*\* → probability ([\d.]+) \|/.exec(table)!;
    expect({ prior: Number(prior.replace('−', '-')), score: Number(total[1]), probability: Number(total[2]) }).toEqual({
      prior: Number(score.prior.toFixed(2)),
      score: Number(score.weight.toFixed(2)),
      probability: Number(score.probability.toFixed(3)),
    });
  });
});
