import { describe, expect, it } from 'vitest';
import { RedactedText } from '../privacy/redact.js';
import { stringifyResult } from './stringifyResult.js';

describe('stringifyResult', () => {
  it('writes exactly what JSON.stringify writes for the whole result, with the newline Apollo adds', () => {
    const results = [
      {
        errors: [{ message: 'Personal field withheld.', locations: [{ line: 2, column: 3 }], path: ['customers', 0, 'loyalty'], extensions: { code: 'PII_ACCESS_DENIED' } }],
        data: { customers: [{ id: 'cus_1', profile: { birthDate: new RedactedText('1984-**-**'), email: 'a"\\\u2028@example.org', gone: undefined } }, null] },
        extensions: { traceId: 't', privacy: { purpose: 'MARKETING', fields: [] } },
      },
      { errors: undefined, data: { customer: null }, extensions: undefined },
      // No errors: written whole unless extensions.privacy is there.
      { data: { __typename: 'Query' }, extensions: { traceId: 't' } },
      { data: { customer: { id: 'cus_1' } }, extensions: { traceId: 't', privacy: { purpose: 'SUPPORT', fields: [] } } },
      { data: null },
      { errors: [{ message: 'Bad request' }] },
      {},
    ];
    for (const result of results) expect(stringifyResult(result as never)).toBe(`${JSON.stringify(result)}\n`);
  });
});
