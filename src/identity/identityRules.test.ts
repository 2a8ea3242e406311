import { describe, expect, it } from 'vitest';
import type { IdentityKey } from '../domain/index.js';
import { DEFAULT_BLOCKLIST, isBlocked } from './identityRules.js';

describe('the default blocklist', () => {
  const rows: Array<[IdentityKey['type'], string, boolean]> = [
    ['ANONYMOUS_ID', '0', true],
    ['ANONYMOUS_ID', '-1', true],
    ['USER_ID', 'NULL', true],
    ['USER_ID', 'undefined', true],
    ['ANONYMOUS_ID', 'Anonymous', true],
    ['EMAIL', 'test@test.com', true],
    ['DEVICE_ID', '00000000-0000-0000-0000-000000000000', true],
    ['DEVICE_ID', '----', true],
    ['USER_ID', '000', true],
    ['PHONE', '(000) 000-0000', true],
    ['USER_ID', '', true],
    ['DEVICE_ID', '00000000-0000-0000-0000-000000000001', false],
    ['USER_ID', '10', false],
    ['EMAIL', 'test@example.com', false],
    ['ANONYMOUS_ID', 'anonymous-7f3a', false],
  ];
  it.each(rows)('%s %j blocked: %s', (type, value, blocked) => {
    expect(isBlocked(DEFAULT_BLOCKLIST, { type, value })).toBe(blocked);
  });
});
