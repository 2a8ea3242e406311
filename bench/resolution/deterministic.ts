import { randomBytes } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import { EmbeddedResolution } from '../../connectors/resolution/embedded.js';
import { MemorySingleView } from '../../connectors/singleview/memory.js';
import { guardPort } from '../../connectors/resilience/guardedPort.js';
import { SourceGuard } from '../../connectors/resilience/sourceGuard.js';
import { SINGLE_VIEW_CALLS } from '../../connectors/singleview/port.js';
import { AuditLog, AuditWriter } from '../../src/audit/index.js';
import { configFrom } from '../../src/config.js';
import type { IdentityInput } from '../../src/generated/graphql.js';
import { CustomerCache } from '../../src/identity/cache.js';
import { systemClock } from '../../src/identity/clock.js';
import { IdentityEngine } from '../../src/identity/engine.js';
import { EventWriter } from '../../src/identity/eventWriter.js';
import { SuppressionList, suppressionSecret } from '../../src/erasure/suppression.js';
import { KeyedLock } from '../../src/identity/keyedLock.js';
import { createLogger } from '../../src/logger.js';
import type { MatchRecord } from '../../src/matching/index.js';
import { SegmentCatalog } from '../../src/segments/catalog.js';
import { Pseudonyms, pseudonymKey } from '../../src/privacy/pseudonym.js';
import { loadSegmentFile } from '../../src/segments/definitions.js';
import { createGateway } from '../../src/server.js';
import { createTelemetry } from '../../src/telemetry/tracing.js';
import { identifyCommand } from '../../src/writeInput.js';

/**
 * The deterministic engine on labelled records: each record goes through
 * the same code as an `identify` mutation (input checks and normalization
 * in src/writeInput.ts, then IdentityEngine from src/identity/), one record
 * at a time in file order, and the customer it ends up in is its cluster.
 * The engine runs over the single view port held in memory
 * (connectors/singleview/memory.ts, the adapter that passes the same
 * contract suite as DynamoDB's): over dynalite the 45,000 calls would take
 * half an hour. A sample first runs over both (crossCheck), and the run
 * stops if their answers differ.
 */
export interface RuleSet {
  readonly name: string;
  readonly describe: string;
  readonly identities: (record: MatchRecord) => IdentityInput[];
}

const text = (value: MatchRecord['values'][keyof MatchRecord['values']]) => (typeof value === 'string' ? value : '');

/** The national id is the CRM's customer number; the email is what a person types into a form from their name. */
const crmId = (record: MatchRecord): IdentityInput[] => (text(record.values.nationalId) ? [{ type: 'CRM_ID', value: text(record.values.nationalId) }] : []);
const nameEmail = (record: MatchRecord): IdentityInput[] => {
  const local = [record.values.firstName, record.values.lastName].map((part) => text(part).replace(/[^a-z0-9-]/g, ''));
  return local.every((part) => part.length > 0) ? [{ type: 'EMAIL', value: `${local.join('.')}@example.com` }] : [];
};

export const RULE_SETS: readonly RuleSet[] = [
  { name: 'CRM_ID', describe: '`CRM_ID` = `soc_sec_id`', identities: crmId },
  { name: 'EMAIL', describe: '`EMAIL` = `given_name.surname@example.com`', identities: nameEmail },
  { name: 'CRM_ID + EMAIL', describe: 'both identifiers in one `identify` (priority `CRM_ID` > `EMAIL`, limits 1 `CRM_ID`, 5 `EMAIL`)', identities: (r) => [...crmId(r), ...nameEmail(r)] },
];

/** The engine, and how to read which customer an id stands for after merges. */
interface Resolver {
  readonly engine: IdentityEngine;
  canonicalIds(ids: readonly string[]): Promise<ReadonlyArray<string | null | Error>>;
  close(): Promise<void>;
}

// A throwaway pseudonym key (required outside demo mode): the engine checks identifiers against an (empty) suppression
// list kept under the key derived from it, and audits its links and merges.
const config = configFrom({ C360_DATA_DIR: 'memory', C360_DEMO: 'false', C360_DEMO_CUSTOMERS: '0', C360_PSEUDONYM_KEY: randomBytes(32).toString('hex'), C360_LOG_LEVEL: 'silent', C360_SINGLEVIEW_TIMEOUT_MS: '30000', C360_RESOLUTION_TIMEOUT_MS: '30000', C360_WRITE_CACHE_SIZE: '0' });

/** The embedded gateway's own engine over dynalite. */
async function overDynalite(): Promise<Resolver> {
  const gateway = await createGateway(config, { logger: createLogger('silent'), telemetry: createTelemetry({ env: {} }) });
  const { identity, sources } = gateway.services;
  return { engine: identity, canonicalIds: (ids) => sources.resolution.canonicalIds(ids), close: () => gateway.close() };
}

/** The same engine over the single view port held in memory. */
async function inMemory(): Promise<Resolver> {
  const singleView = guardPort(new MemorySingleView(), new SourceGuard({ source: 'singleview', timeoutMs: 30_000, retries: 0, breakerThreshold: 1_000, halfOpenAfterMs: 1_000, tracer: trace.getTracer('c360-eval') }), SINGLE_VIEW_CALLS);
  const engine = new IdentityEngine({
    singleView,
    policy: config.identity,
    loginType: config.tokens.customerIdentity,
    segments: new SegmentCatalog(loadSegmentFile(undefined)),
    clock: systemClock,
    cache: new CustomerCache(0),
    locks: new KeyedLock(),
    events: new EventWriter(singleView),
    suppressions: new SuppressionList(singleView, suppressionSecret(config.suppressionKey, new Pseudonyms(pseudonymKey({ configured: config.pseudonymKey, demo: false, dataDir: undefined })))),
    logger: createLogger('silent'),
    audit: new AuditLog(new AuditWriter(singleView)),
  });
  const resolution = new EmbeddedResolution(singleView);
  return { engine, canonicalIds: (ids) => resolution.canonicalIds(ids), close: async () => {} };
}

/**
 * Every record through identify, in order; per record the canonical customer
 * it ended up in (a record with no identifier, or one the input checks
 * refuse, is a customer of its own: its own id).
 */
export async function resolveDeterministic(records: readonly MatchRecord[], rules: RuleSet, open: () => Promise<Resolver> = inMemory): Promise<string[]> {
  const resolver = await open();
  try {
    const context = { defaultRegion: 'AU', source: 'eval', now: new Date(), blocklist: config.identity.blocked };
    const customerOf = new Map<string, string>();
    for (const record of records) {
      const identities = rules.identities(record);
      if (identities.length === 0) continue;
      try {
        // What the matching rules join, as a trusted source would send them: every identifier verified, so that
        // no merge waits for a person (docs/identity-resolution.md, "Verified identifiers") and the score is the rules'.
        const verified = identities.map((identity) => ({ ...identity, verified: true }));
        const outcome = await resolver.engine.identify(identifyCommand({ identities: verified }, context), { principal: 'bench' });
        customerOf.set(record.id, outcome.record.id);
      } catch {
        // An identifier the input checks refuse (a mangled email) identifies nobody: the record stays alone.
      }
    }
    const ids = [...new Set(customerOf.values())];
    const canonical = new Map<string, string>();
    for (let i = 0; i < ids.length; i += 100) {
      const chunk = ids.slice(i, i + 100);
      const resolved = await resolver.canonicalIds(chunk);
      chunk.forEach((id, j) => canonical.set(id, typeof resolved[j] === 'string' ? (resolved[j] as string) : id));
    }
    return records.map((record) => {
      const customer = customerOf.get(record.id);
      return customer === undefined ? `record:${record.id}` : `customer:${canonical.get(customer) ?? customer}`;
    });
  } finally {
    await resolver.close();
  }
}

/** Which records share a customer, whatever the customer ids. */
function partition(records: readonly MatchRecord[], clusterOf: readonly string[]): string {
  const groups = new Map<string, string[]>();
  clusterOf.forEach((cluster, i) => groups.set(cluster, [...(groups.get(cluster) ?? []), records[i]!.id]));
  return [...groups.values()].map((members) => members.sort().join(' ')).sort().join('\n');
}

/** The in-memory port must answer like DynamoDB's API: a sample with duplicates runs over both. */
export async function crossCheck(sample: readonly MatchRecord[]): Promise<void> {
  const rules = RULE_SETS[RULE_SETS.length - 1]!;
  const [memory, dynalite] = [await resolveDeterministic(sample, rules, inMemory), await resolveDeterministic(sample, rules, overDynalite)];
  if (partition(sample, memory) !== partition(sample, dynalite)) throw new Error("the in-memory single view and dynalite disagree on the sample; figures would not be the engine's");
}
