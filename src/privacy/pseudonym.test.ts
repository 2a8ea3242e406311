import { createHmac } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Pseudonyms } from './pseudonym.js';

const KEY = Buffer.from('9c2e7a41f0b86d35e1a4c7f92b5d08e3a6c1f4b7d0e9a2c5f8b1d4e7a0c3f6b9', 'utf8');

/**
 * The keys derived from C360_PSEUDONYM_KEY (a customer's login principal, a
 * principal-scoped caller's pseudonyms, the suppression list) must not be
 * obtainable as a `hash` pseudonym. Any caller who can have a value stored
 * (an event property the plan hashes, say `orderId`) and read it back hashed
 * gets HMAC(key, value): if a derived key were HMAC(key, label), storing the
 * label would hand it out.
 */
describe('keys derived from the pseudonym key', () => {
  const pseudonyms = new Pseudonyms(KEY);
  const shared = pseudonyms.for(undefined);
  const asKey = (hex: string) => Buffer.from(hex, 'hex');

  it('cannot be read as the shared pseudonym of their label: the login principal', () => {
    const leaked = asKey(shared('c360/pseudonym/login'));
    const guessed = createHmac('sha256', leaked).update('USER_ID#user_1', 'utf8').digest('base64url').slice(0, 22);
    expect(pseudonyms.login('USER_ID', 'user_1')).not.toBe(guessed);
  });

  it("cannot be read as the shared pseudonym of their label: a principal's own pseudonyms", () => {
    const leaked = asKey(shared('c360/pseudonym/principal/partner_a'));
    const guessed = createHmac('sha256', leaked).update('ana@example.org', 'utf8').digest('hex');
    expect(pseudonyms.for('partner_a')('ana@example.org')).not.toBe(guessed);
    // Still the caller's own: stable for it, another principal's differ, and neither is the shared one.
    expect(pseudonyms.for('partner_a')('ana@example.org')).toBe(new Pseudonyms(KEY).for('partner_a')('ana@example.org'));
    expect(pseudonyms.for('partner_a')('ana@example.org')).not.toBe(pseudonyms.for('partner_b')('ana@example.org'));
    expect(pseudonyms.for('partner_a')('ana@example.org')).not.toBe(shared('ana@example.org'));
  });

  it('cannot be read as the shared pseudonym of their label: the suppression list', () => {
    expect(pseudonyms.derivedSecret('c360/suppression')).not.toBe(shared('c360/suppression'));
  });
});

/**
 * Each key keeps its recent pseudonyms (issue 18: a marketing batch hashes
 * the same identifiers request after request). What is kept must be exactly
 * what the key computes, belong to that key alone, and be out of reach of
 * anything that logs or inspects the object.
 */
describe('pseudonyms kept per key', () => {
  const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text, 'utf8').digest('hex');

  it('gives the HMAC of the value under the key, the first time and every time after', () => {
    const shared = new Pseudonyms(KEY).for(undefined);
    for (let round = 0; round < 3; round++) expect(shared('ana@example.org')).toBe(hmac(KEY, 'ana@example.org'));
    expect(shared('bo@example.org')).toBe(hmac(KEY, 'bo@example.org'));
  });

  it('changes with the key: after a rotation the same value has the new key’s pseudonym, never the one kept under the old', () => {
    const rotated = Buffer.from('4f1d8b2e6a0c93f7d5b1e8a24c6f0d9b3e7a1c5f8d2b6e0a4c9f3d7b1e5a8c2f', 'utf8');
    const before = new Pseudonyms(KEY);
    const kept = before.for(undefined)('ana@example.org');
    const after = new Pseudonyms(rotated);
    expect(after.for(undefined)('ana@example.org')).toBe(hmac(rotated, 'ana@example.org'));
    expect(after.for(undefined)('ana@example.org')).not.toBe(kept);
    // A principal's own key is kept per principal: each one's pseudonyms stay its own, under the key of the day.
    const partnerBefore = before.for('partner_a')('ana@example.org');
    expect(before.for('partner_a')('ana@example.org')).toBe(partnerBefore);
    expect(after.for('partner_a')('ana@example.org')).not.toBe(partnerBefore);
    expect(before.for('partner_b')('ana@example.org')).not.toBe(partnerBefore);
  });

  it('keeps no value where a log line or an inspection of the object could reach it', () => {
    const pseudonyms = new Pseudonyms(KEY);
    const pseudonym = pseudonyms.for(undefined)('ana@example.org');
    pseudonyms.for('partner_a')('ana@example.org');
    const shown = `${inspect(pseudonyms, { showHidden: true, depth: 10 })} ${JSON.stringify(pseudonyms)} ${inspect(pseudonyms.for(undefined), { showHidden: true, depth: 10 })}`;
    expect(shown).not.toContain('ana@example.org');
    expect(shown).not.toContain(pseudonym);
    expect(shown).not.toContain('partner_a');
  });
});
