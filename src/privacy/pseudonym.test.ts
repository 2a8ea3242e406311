import { createHmac } from 'node:crypto';
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
