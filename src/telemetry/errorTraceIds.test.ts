import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { piiAccessDenied } from '../errors.js';
import { tagErrorsWithTraceId, traceIdOfError } from './errorTraceIds.js';

describe('trace ids of errors', () => {
  it('tags every error formatError may turn into INTERNAL_SERVER_ERROR, and skips withheld personal fields, which it passes through', () => {
    const failure = new Error('boom');
    const sourceLike = new GraphQLError('Source failed', { extensions: { code: 'SOURCE_UNAVAILABLE' } });
    const withheld = piiAccessDenied('POLICY_DENIES', 'FINANCIAL', 'MARKETING');
    tagErrorsWithTraceId([failure, sourceLike, withheld], 'trace-1');
    expect(traceIdOfError(failure)).toBe('trace-1');
    expect(traceIdOfError(sourceLike)).toBe('trace-1');
    expect(traceIdOfError(withheld)).toBeUndefined();
  });
});
