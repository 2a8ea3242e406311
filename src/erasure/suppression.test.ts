import { createHmac, hkdfSync } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { MemorySingleView } from '../../connectors/singleview/memory.js';
import { guardPort } from '../../connectors/resilience/guardedPort.js';
import { SourceGuard } from '../../connectors/resilience/sourceGuard.js';
import { SINGLE_VIEW_CALLS } from '../../connectors/singleview/port.js';
import type { SingleViewPort } from '../../connectors/singleview/port.js';
import { Pseudonyms } from '../privacy/pseudonym.js';
import { SuppressedIdentifierError, SuppressionKeyMismatchError, SuppressionList, suppressionSecret } from './suppression.js';

const guarded = (port: SingleViewPort) =>
  guardPort(port, new SourceGuard({ source: 'singleview', timeoutMs: 1_000, retries: 0, breakerThreshold: 1_000, halfOpenAfterMs: 1_000, tracer: trace.getTracer('test') }), SINGLE_VIEW_CALLS);
const EMAIL = { type: 'EMAIL' as const, value: 'gone@example.org' };
const PSEUDONYM_KEY = Buffer.from('5e0c2a9f7b4d1e8a3c6f0b9d2e5a8c1f4b7d0e3a6c9f2b5d8e1a4c7f0b3d6e9a', 'utf8');

describe('the suppression list key', () => {
  it('is derived from the pseudonym key for this use alone unless C360_SUPPRESSION_KEY is set', () => {
    const pseudonyms = new Pseudonyms(PSEUDONYM_KEY);
    const derived = Buffer.from(hkdfSync('sha256', PSEUDONYM_KEY, '', 'c360/suppression', 32)).toString('hex');
    expect(suppressionSecret(undefined, pseudonyms)).toBe(derived);
    expect(suppressionSecret('an-explicit-override-of-32-characters', pseudonyms)).toBe('an-explicit-override-of-32-characters');
    // No caller can be shown the key: it is not the `hash` pseudonym of its label (what an HMAC of the label would be),
    // and entries are not the pseudonyms of the identifiers.
    expect(pseudonyms.for(undefined)('c360/suppression')).not.toBe(derived);
    expect(createHmac('sha256', derived).update('EMAIL#gone@example.org').digest('hex')).not.toBe(pseudonyms.for(undefined)('EMAIL#gone@example.org'));
  });

  it('refuses a list written under another key, for good, and fails closed: no lookup, suppression or lift runs under it', async () => {
    const store = new MemorySingleView();
    const written = new SuppressionList(guarded(store), 'the-first-key-the-list-was-written-under');
    await written.suppress([EMAIL], 'cus_gone', '2026-12-01T00:00:00.000Z');
    await expect(written.refuseSuppressed([{ key: EMAIL, index: 0 }])).rejects.toBeInstanceOf(SuppressedIdentifierError);

    const other = new SuppressionList(guarded(store), 'another-key-that-would-miss-every-entry');
    await expect(other.verifyKey()).rejects.toBeInstanceOf(SuppressionKeyMismatchError);
    await expect(other.refuseSuppressed([{ key: EMAIL, index: 0 }])).rejects.toBeInstanceOf(SuppressionKeyMismatchError);
    await expect(other.suppress([EMAIL], 'cus_gone', '2026-12-01T00:00:00.000Z')).rejects.toBeInstanceOf(SuppressionKeyMismatchError);
    await expect(other.lift(EMAIL)).rejects.toBeInstanceOf(SuppressionKeyMismatchError);
    // The list is untouched by the refused gateway: the right key still finds the entry.
    await expect(new SuppressionList(guarded(store), 'the-first-key-the-list-was-written-under').refuseSuppressed([{ key: EMAIL, index: 0 }])).rejects.toBeInstanceOf(
      SuppressedIdentifierError,
    );
  });

  it('checks the key before the first use when the single view did not answer at start', async () => {
    const store = new MemorySingleView();
    await new SuppressionList(guarded(store), 'the-first-key-the-list-was-written-under').verifyKey();
    let down = true;
    const flaky = new Proxy(store, {
      get: (target, property, receiver) =>
        property === 'claimSuppressionKeyFingerprint' && down ? () => Promise.reject(new Error('connect ECONNREFUSED')) : Reflect.get(target, property, receiver),
    });
    const list = new SuppressionList(guarded(flaky), 'another-key-that-would-miss-every-entry');
    await expect(list.verifyKey()).rejects.toThrow('singleview source is unavailable');
    down = false;
    // Tried again, not remembered as checked: the mismatch is found before the list is used.
    await expect(list.refuseSuppressed([{ key: EMAIL, index: 0 }])).rejects.toBeInstanceOf(SuppressionKeyMismatchError);
  });
});
