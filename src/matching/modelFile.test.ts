import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { handModel } from '../../test/support/matchModel.js';
import { DEFAULT_MATCH_MODEL_FILE, MatchModelFileError, loadMatchModel, writeMatchModel } from './modelFile.js';

describe('the model file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'c360-match-model-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  it('loads the shipped model: every attribute with its levels and weights, ready to score', () => {
    const compiled = loadMatchModel();
    expect(DEFAULT_MATCH_MODEL_FILE.endsWith('config/match-model.json')).toBe(true);
    expect(compiled.fields).toEqual(['firstName', 'lastName', 'birthDate', 'streetNumber', 'street', 'locality', 'city', 'postcode', 'state', 'nationalId']);
    expect(compiled.model.thresholds).toEqual({ review: 0.5, autoMerge: null });
    for (const weights of compiled.weights) expect(weights[0]).toBe(0);
  });

  it('writes one level per line and reads back what it wrote', () => {
    const model = handModel(['firstName', 'birthDate']);
    const path = join(dir, 'written.json');
    writeMatchModel(path, model);
    expect(readFileSync(path, 'utf8')).toContain('\n        {"level": "exact", "m": 0.9, "u": 0.01, "weight": 8},\n');
    expect(loadMatchModel(path).model).toEqual(model);
  });

  it.each([
    ['a missing file', null, 'no such file'],
    ['text that is not JSON', '{"format": ', 'not readable as JSON'],
    ['another format', JSON.stringify({ ...handModel(['firstName']), format: 'other/1' }), 'format: Invalid input'],
    ['a weight that is not a number', JSON.stringify(handModel(['firstName'])).replace('"weight":8', '"weight":"8"'), 'attributes.firstName.levels.1.weight'],
    ['a review threshold of 1', JSON.stringify({ ...handModel(['firstName']), thresholds: { review: 1, autoMerge: null } }), 'thresholds.review'],
    ['levels of another version', JSON.stringify(handModel(['firstName'])).replace('"jaroWinkler92"', '"jaroWinkler90"'), 'attribute firstName has levels missing, exact, oneEdit, jaroWinkler90'],
  ])('refuses %s, naming the file and the place', (_name, content, message) => {
    const path = content === null ? join(dir, 'absent.json') : file(`${_name.replace(/\W+/g, '-')}.json`, content);
    expect(() => loadMatchModel(path)).toThrow(MatchModelFileError);
    expect(() => loadMatchModel(path)).toThrow(message);
    expect(() => loadMatchModel(path)).toThrow(path);
  });
});
