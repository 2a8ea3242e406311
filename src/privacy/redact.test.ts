import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Pseudonyms } from './pseudonym.js';
import { RedactedText, hashValue, maskString, maskValue, orderOfMagnitude } from './redact.js';

const KEY = Buffer.from('a test key that is long enough, 0123456789abcdef');
const sha = (text: string) => createHmac('sha256', KEY).update(text).digest('hex');
const options = { phoneRegion: 'US', pseudonymize: new Pseudonyms(KEY).for(undefined) };

describe('mask', () => {
  it.each([
    ['an email', 'jane.doe@example.com', 'j***@e***.com'],
    ['an email with subdomains', 'x@mail.corp.example.co.uk', 'x***@m***.uk'],
    ['an E.164 phone', '+14155550100', '+*******0100'],
    ['a national phone', '(415) 555-0100', '******0100'],
    ['a name', 'Dana', 'D***'],
    ['an id', 'CRM-100000', 'C***'],
    ['one character', 'Q', '***'],
    ['a short number that is not a phone', '12345', '1***'],
  ])('%s: %s → %s', (_kind, value, masked) => {
    expect(maskString(value)).toBe(masked);
  });

  it('keeps the year of a date and of an instant, as text the date scalars pass through', () => {
    expect(maskValue('1984-03-09', 'date')).toEqual({ ok: true, value: new RedactedText('1984-**-**') });
    expect(maskValue(new Date('2020-05-06T07:08:09Z'), 'dateTime')).toEqual({ ok: true, value: new RedactedText('2020-**-**T**:**:**Z') });
  });

  it('masks each leaf of an address, keeping the region and the country', () => {
    expect(maskValue({ line1: '1 Main St', city: 'Springfield', postalCode: '94107', country: 'US' }, 'object')).toEqual({
      ok: true,
      value: { line1: '1***', city: 'S***', postalCode: '941**', country: 'US' },
    });
    expect(maskValue({ line1: null, city: 'Oslo', postalCode: undefined, country: 'NO' }, 'object')).toEqual({
      ok: true,
      value: { line1: null, city: 'O***', postalCode: null, country: 'NO' },
    });
  });

  it.each([
    [1272.27, 1000],
    [57, 10],
    [9.99, 1],
    [0.5, 0],
    [-340, -100],
    [Number.NaN, 0],
  ])('turns the number %d into its order of magnitude %d', (value, masked) => {
    expect(orderOfMagnitude(value)).toBe(masked);
    expect(maskValue(value, 'number')).toEqual({ ok: true, value: masked });
  });

  it('masks JSON leaves: strings and numbers, keys and booleans kept', () => {
    expect(maskValue({ orderId: 'ord-9', total: 412.5, gift: true, items: [{ sku: 'sku-1', qty: 3 }], note: null }, 'json')).toEqual({
      ok: true,
      value: { orderId: 'o***', total: 100, gift: true, items: [{ sku: 's***', qty: 1 }], note: null },
    });
  });

  it('cannot mask what has no masked form', () => {
    expect(maskValue('x', 'other')).toEqual({ ok: false });
    expect(maskValue(42, 'string')).toEqual({ ok: false });
  });
});

describe('hash (a keyed pseudonym)', () => {
  it.each([
    ['an email, lower-cased and trimmed', '  Jane.Doe@Example.COM ', sha('jane.doe@example.com')],
    ['a national phone, in E.164', '(415) 555-0100', sha('+14155550100')],
    ['an E.164 phone', '+14155550100', sha('+14155550100')],
    ['other text, trimmed', ' CRM-100000 ', sha('CRM-100000')],
  ])('%s', (_kind, value, digest) => {
    expect(hashValue(value, 'string', options)).toEqual({ ok: true, value: digest });
  });

  it('hashes dates, address leaves and JSON leaves', () => {
    expect(hashValue('1984-03-09', 'date', options)).toEqual({ ok: true, value: new RedactedText(sha('1984-03-09')) });
    expect(hashValue({ city: 'Oslo', line1: null }, 'object', options)).toEqual({ ok: true, value: { city: sha('Oslo'), line1: null } });
    expect(hashValue({ total: 12.5, sku: 'a', ok: false }, 'json', options)).toEqual({ ok: true, value: { total: sha('12.5'), sku: sha('a'), ok: false } });
  });

  it('hashes a phone number by its E.164 form under the region, the first time and every time after (the forms are kept)', () => {
    for (let round = 0; round < 3; round++) {
      expect(hashValue('020 7946 0958', 'string', { ...options, phoneRegion: 'GB' })).toEqual({ ok: true, value: sha('+442079460958') });
      // The same text in another region is another number: the kept form is the region's own.
      expect(hashValue('020 7946 0958', 'string', options)).not.toEqual({ ok: true, value: sha('+442079460958') });
      expect(hashValue('(415) 555-0100', 'string', options)).toEqual({ ok: true, value: sha('+14155550100') });
    }
  });

  it('cannot put a digest in a number', () => {
    expect(hashValue(1272.27, 'number', options)).toEqual({ ok: false });
  });
});
