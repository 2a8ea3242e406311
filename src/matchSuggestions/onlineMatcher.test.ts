import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { guardPort } from '../../connectors/resilience/guardedPort.js';
import { SourceGuard } from '../../connectors/resilience/sourceGuard.js';
import { SINGLE_VIEW_CALLS } from '../../connectors/singleview/port.js';
import { MemorySingleView } from '../../connectors/singleview/memory.js';
import { ConfigError, loadConfig } from '../config.js';
import { SuppressionList, suppressionSecret } from '../erasure/suppression.js';
import { systemClock } from '../identity/clock.js';
import { IdentityEngine } from '../identity/engine.js';
import { suggestionId } from '../identity/suggestions.js';
import { loadMatchModel } from '../matching/index.js';
import { noopTracer } from '../telemetry/tracing.js';
import { toolEngine, toolPseudonyms } from '../tools/importIdentities.js';
import { identifyCommand } from '../writeInput.js';
import { AUTO_MERGE_PRINCIPAL, OnlineMatcher } from './onlineMatcher.js';

/**
 * Online scoring on the real write path (IdentityEngine over the in-memory
 * single view): the auto-merge setting, which the HTTP tests leave at its
 * default (off).
 */
const compiled = loadMatchModel();

function engineWith(autoMerge: number | null) {
  const config = loadConfig({ C360_DATA_DIR: 'memory' });
  const store = new MemorySingleView();
  const guarded = guardPort(store, new SourceGuard({ source: 'singleview', ...config.sources.singleview, tracer: noopTracer }), SINGLE_VIEW_CALLS);
  const suppressions = new SuppressionList(guarded, suppressionSecret(config.suppressionKey, toolPseudonyms(config)));
  const base = toolEngine(config, guarded, suppressions);
  const matcher = new OnlineMatcher({ compiled, defaultRegion: 'US', blocklist: config.identity.blocked, autoMerge, capacity: 1000 }, pino({ level: 'silent' }));
  const engine = new IdentityEngine({ ...base.services, customerWrites: matcher });
  const identify = async (email: string, lastName: string) => {
    const command = identifyCommand(
      { identities: [{ type: 'EMAIL', value: email }], traits: { firstName: 'Lena', lastName, birthDate: new Date('1966-10-02T00:00:00Z') } },
      { defaultRegion: 'US', source: 'test', now: systemClock(), blocklist: config.identity.blocked },
    );
    return (await engine.identify(command, { principal: 'key:test', traceId: null })).record.id;
  };
  return { store, matcher, identify };
}

describe('online scoring with auto-merge', () => {
  it('off (the default): the pair waits as an OPEN suggestion and both customers stay', async () => {
    const { store, identify } = engineWith(null);
    const a = await identify('lena@example.org', 'Hvorostovsky');
    const b = await identify('lena.h@store.example', 'Hvorostovski');
    const suggestion = await store.getMergeSuggestion(suggestionId([a, b]));
    expect(suggestion).toMatchObject({ status: 'OPEN', origin: 'MATCH', model: 'febrl3', decidedBy: null, principal: 'key:test' });
    const stored = await store.getCustomers([a, b]);
    expect(stored.map((customer) => (customer as { mergedInto?: string | null }).mergedInto ?? null)).toEqual([null, null]);
  });

  it('set: a pair at or above it is merged through the engine by the auto-merge principal, and the suggestion says so', async () => {
    const { store, identify, matcher } = engineWith(0.99);
    const a = await identify('lena@example.org', 'Hvorostovsky');
    const b = await identify('lena.h@store.example', 'Hvorostovski');
    const suggestion = await store.getMergeSuggestion(suggestionId([a, b]));
    expect(suggestion).toMatchObject({ status: 'ACCEPTED', origin: 'MATCH', decidedBy: AUTO_MERGE_PRINCIPAL });
    // The older customer survives; two created within one millisecond are ordered by id, so either may.
    const records = await store.getCustomers([a, b]);
    const absorbed = records.find((record) => record && !(record instanceof Error) && record.mergedInto);
    if (!absorbed || absorbed instanceof Error) throw new Error('neither customer was absorbed');
    const survivor = absorbed.id === a ? b : a;
    expect(absorbed).toMatchObject({ mergedInto: survivor });
    const log = await store.getIdentityLog(survivor, 10);
    expect(log.find((entry) => entry.kind === 'merge')).toMatchObject({ rule: `match:febrl3:p=${suggestion!.probability}`, principal: AUTO_MERGE_PRINCIPAL, otherCustomerId: absorbed.id });
    // The index forgets the absorbed customer.
    expect([matcher.index.has(survivor), matcher.index.has(absorbed.id)]).toEqual([true, false]);
  });

  it('set above the pair’s probability: the pair waits for a person', async () => {
    const { store, identify } = engineWith(0.999_999_9);
    const a = await identify('lena@example.org', 'Hvorostovsky');
    const b = await identify('lena.h@store.example', 'Hvorostovski');
    expect(await store.getMergeSuggestion(suggestionId([a, b]))).toMatchObject({ status: 'OPEN' });
  });
});

describe('matching settings', () => {
  it('default to online scoring on, auto-merge off', () => {
    expect(loadConfig({}).matching).toEqual({ modelFile: undefined, online: true, autoMerge: null, indexLimit: 1_000_000 });
    expect(loadConfig({ C360_MATCH_AUTO_MERGE: '0.999', C360_MATCH_ONLINE: 'false' }).matching).toMatchObject({ online: false, autoMerge: 0.999 });
    expect(loadConfig({ C360_MATCH_AUTO_MERGE: 'off' }).matching.autoMerge).toBeNull();
  });

  it.each([
    { value: '1', message: 'C360_MATCH_AUTO_MERGE: expected off or a probability strictly between 0 and 1' },
    { value: '0', message: 'C360_MATCH_AUTO_MERGE: expected off or a probability strictly between 0 and 1' },
    { value: 'yes', message: 'C360_MATCH_AUTO_MERGE: expected off or a probability strictly between 0 and 1' },
    { value: '', message: 'C360_MATCH_AUTO_MERGE: expected off or a probability strictly between 0 and 1' },
  ])('refuses C360_MATCH_AUTO_MERGE=$value', ({ value, message }) => {
    expect(() => loadConfig({ C360_MATCH_AUTO_MERGE: value })).toThrow(ConfigError);
    expect(() => loadConfig({ C360_MATCH_AUTO_MERGE: value })).toThrow(message);
  });
});
