import { describe, expect, it } from 'vitest';
import { RedactedText } from '../src/privacy/redact.js';
import { scalarResolvers, stockScalarResolvers } from './scalars.js';

describe('the gateway’s DateTime output', () => {
  const values = [
    '2026-08-20T00:00:00Z',
    '2026-10-28T16:43:03.687Z',
    '2026-10-28T18:43:03.687+02:00',
    '2026-10-28T16:43:03.6871Z',
    '2024-02-29T00:00:00.000Z',
    new Date('2026-01-02T03:04:05.006Z'),
    1_767_323_045_006,
  ];

  it('is the text graphql-scalars’ Date object becomes in JSON, byte for byte', () => {
    for (const value of values) {
      const ours = scalarResolvers.DateTime.serialize(value);
      expect(typeof ours).toBe('string');
      expect(JSON.stringify({ at: ours })).toBe(JSON.stringify({ at: stockScalarResolvers.DateTime.serialize(value) }));
    }
  });

  it('hands a stored instant out as it is exactly when graphql-scalars accepts it: calendar, leap years, bounds', () => {
    const instants = [
      '2024-02-29T23:59:59.999Z',
      '2023-02-29T00:00:00.000Z',
      '2000-02-29T00:00:00.000Z',
      '1900-02-29T00:00:00.000Z',
      '2100-02-28T12:00:00.000Z',
      '2026-04-30T00:00:00.000Z',
      '2026-04-31T00:00:00.000Z',
      '2026-12-31T23:59:59.000Z',
      '2026-00-10T00:00:00.000Z',
      '2026-01-00T00:00:00.000Z',
      '2026-01-32T00:00:00.000Z',
      '2026-06-15T23:60:00.000Z',
      '2026-06-15T25:00:00.000Z',
      '2026-06-15T10:00:60.000Z',
      '0000-01-01T00:00:00.000Z',
      '9999-12-31T23:59:59.999Z',
      '2026-06-15t10:00:00.000z',
    ];
    for (const value of instants) {
      const stock = (() => {
        try {
          return { text: JSON.stringify({ at: stockScalarResolvers.DateTime.serialize(value) }) };
        } catch {
          return { refused: true };
        }
      })();
      const ours = (() => {
        try {
          return { text: JSON.stringify({ at: scalarResolvers.DateTime.serialize(value) }) };
        } catch {
          return { refused: true };
        }
      })();
      expect({ value, ...ours }).toEqual({ value, ...stock });
    }
    // Both answers occur above: the comparison is not of two refusals.
    expect(() => scalarResolvers.DateTime.serialize('2023-02-29T00:00:00.000Z')).toThrow(/DateTime cannot represent/);
    expect(scalarResolvers.DateTime.serialize('2024-02-29T23:59:59.999Z')).toBe('2024-02-29T23:59:59.999Z');
  });

  it('still refuses what is not a date, and passes a redacted date through as its text', () => {
    for (const invalid of ['2026-13-01T00:00:00.000Z', '2026-02-30T00:00:00.000Z', '2026-10-28T24:00:00.000Z']) {
      expect(() => scalarResolvers.DateTime.serialize(invalid)).toThrow(/DateTime cannot represent/);
    }
    expect(scalarResolvers.DateTime.serialize(new RedactedText('2026-**-**T**:**:**Z'))).toBe('2026-**-**T**:**:**Z');
    expect(scalarResolvers.Date.serialize('1984-03-09')).toBe('1984-03-09');
  });
});
