import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApolloServerPlugin } from '@apollo/server';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GraphQLError, Kind, parse } from 'graphql';
import type { FormattedExecutionResult } from 'graphql';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { SourceCall, SourceGuard } from '../../connectors/resilience/sourceGuard.js';
import type { SourceFailure } from '../../connectors/resilience/sourceError.js';
import type { AuditSink } from '../audit/writer.js';
import type { Principal } from '../auth/principal.js';
import { privacyLedgerIfMade } from '../context.js';
import type { GatewayContext } from '../context.js';
import { ErrorCode } from '../errors.js';
import type { SlowClientCut, SlowClients } from '../hardening/slowClients.js';
import type { TrustedDocuments } from '../hardening/trustedDocuments.js';
import type { PrivacyLedger, Release } from '../privacy/ledger.js';
import type { Sources } from '../sources.js';

/**
 * What a request came to, as counted in c360_graphql_requests_total:
 * `ok` (no error), `partial` (data and errors), `failed` (errors and no
 * data, or a 5xx), `rejected` (refused before execution: bad request,
 * credentials, purpose, limits, trusted documents), `rate_limited` (429),
 * `shed` (503 while the gateway drains, or OVERLOADED: admission control
 * could not start it in time).
 */
export type RequestOutcome = 'ok' | 'partial' | 'failed' | 'rejected' | 'rate_limited' | 'shed';

/** Which limiter refused a request with 429: the principal's token bucket, or failed authentications per address. */
type Limiter = 'principal' | 'auth_failures';

/** Per request, from the context function to Fastify's onResponse. */
interface RequestRecord {
  principal: Principal['kind'] | 'none';
  operation: string | undefined;
  outcome: RequestOutcome | undefined;
  /** The response body Apollo sent: read once the response is gone, after every plugin changed it. */
  result: FormattedExecutionResult | undefined;
  /** Its privacy ledger is read once the response is gone, if the request made one. */
  context: GatewayContext | undefined;
}

const RECORD = Symbol('c360.metrics.request');
type RecordedContext = GatewayContext & { [RECORD]?: RequestRecord };

/** Distinct client-chosen operation names counted by name; the rest are `other`. */
const MAX_CLIENT_OPERATION_NAMES = 100;
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

const REQUEST_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const SOURCE_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const BATCH_SIZES = [1, 2, 5, 10, 25, 50, 100, 250, 500];
const CIRCUIT_STATES = ['closed', 'half-open', 'open', 'isolated'] as const;
const PRIVACY_DECISION = { allow: 'released', mask: 'masked', hash: 'hashed', deny: 'withheld' } as const;

export interface MetricsOptions {
  /** Operation names of the trusted documents: always counted by name. */
  readonly trustedDocuments: TrustedDocuments;
}

/**
 * The gateway's Prometheus metrics (docs/operations.md), served on their own
 * listener (C360_METRICS_PORT), never on the public one. Every label is from
 * a fixed set (sources, operations of the ports, purposes, classes, outcomes)
 * or bounded (operation names: the trusted documents' and at most
 * MAX_CLIENT_OPERATION_NAMES others); no label holds a customer, a key or
 * anything a request sent except a bounded operation name.
 *
 * The measurements come from seams that exist anyway, one hook each:
 * - requests: the Apollo context function, one plugin, and Fastify's onResponse
 *   (which sees every /graphql answer, refusals and drained requests included);
 * - sources: SourceGuard's observer, once per call;
 * - privacy: the request's PrivacyLedger, read after the response is sent;
 * - audit: a wrapper around the audit sink;
 * - circuits and slow clients: read when scraped.
 * Process metrics (event-loop delay, heap, GC, CPU) are prom-client's defaults.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly operations: OperationNames;
  private readonly records = new WeakMap<FastifyRequest, RequestRecord>();
  private readonly guards: Array<{ readonly guard: SourceGuard; readonly name: string }> = [];
  private slowClients: SlowClients | undefined;
  private server: Server | undefined;
  private address: string | undefined;

  private readonly requests: Counter<'operation' | 'principal_kind' | 'outcome'>;
  private readonly requestSeconds: Histogram<'operation'>;
  private readonly sourceCalls: Counter<'source' | 'operation'>;
  private readonly sourceErrors: Counter<'source' | 'operation' | 'kind'>;
  private readonly sourceSeconds: Histogram<'source' | 'operation'>;
  private readonly sourceBatch: Histogram<'source' | 'operation'>;
  private readonly privacyFields: Counter<'purpose' | 'pii_class' | 'decision' | 'reason'>;
  private readonly auditRecords: Counter<'kind' | 'outcome'>;
  private readonly auditWrites: Counter<'kind' | 'outcome'>;
  private readonly rateLimited: Counter<'limiter'>;
  private readonly shed: Counter<'reason'>;
  /** Label children by their joined label values (see `cached`). */
  private readonly counterChildren = new Map<string, { inc(value?: number): void }>();
  /** c360_privacy_fields_total's counts not yet handed to prom-client, by label set. */
  private readonly privacyCounts = new Map<string, Map<string, Map<string, Map<string, PrivacyCount>>>>();
  private readonly privacyCountList: PrivacyCount[] = [];
  private readonly releaseRunsByList = new WeakMap<readonly Release[], Map<string, ReadonlyArray<readonly [PrivacyCount, number]>>>();
  private readonly histogramChildren = new Map<string, { observe(value: number): void }>();
  private readonly sourceChildren = new Map<string, SourceChild>();

  constructor(options: MetricsOptions) {
    const registers = [this.registry];
    this.operations = new OperationNames(trustedOperationNames(options.trustedDocuments));
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'c360_graphql_requests_total',
      help: 'GraphQL requests answered, by operation name (bounded), principal kind and outcome.',
      labelNames: ['operation', 'principal_kind', 'outcome'],
      registers,
    });
    this.requestSeconds = new Histogram({
      name: 'c360_graphql_request_duration_seconds',
      help: 'Time from a /graphql request arriving to its answer sent, by operation name (bounded).',
      labelNames: ['operation'],
      buckets: REQUEST_SECONDS,
      registers,
    });
    this.sourceCalls = new Counter({ name: 'c360_source_calls_total', help: 'Calls to a source through its guard, retries included in one call.', labelNames: ['source', 'operation'], registers });
    this.sourceErrors = new Counter({
      name: 'c360_source_errors_total',
      help: 'Source calls that failed, by kind: timeout, unavailable, circuit_open and overloaded (shed by the gateway), malformed_payload, rejected.',
      labelNames: ['source', 'operation', 'kind'],
      registers,
    });
    this.sourceSeconds = new Histogram({ name: 'c360_source_call_duration_seconds', help: 'Duration of source calls, retries and waiting for a slot included.', labelNames: ['source', 'operation'], buckets: SOURCE_SECONDS, registers });
    this.sourceBatch = new Histogram({ name: 'c360_source_batch_size', help: 'Keys per source call (DataLoader batches).', labelNames: ['source', 'operation'], buckets: BATCH_SIZES, registers });
    const guards = this.guards;
    new Gauge({
      name: 'c360_source_circuit_state',
      help: 'Circuit breaker state of each source guard: 1 for the current state, 0 for the others.',
      labelNames: ['source', 'guard', 'state'],
      registers,
      collect() {
        for (const { guard, name } of guards) {
          const current = guard.circuit;
          for (const state of CIRCUIT_STATES) this.set({ source: guard.source, guard: name, state }, current === state ? 1 : 0);
        }
      },
    });
    this.privacyFields = new Counter({
      name: 'c360_privacy_fields_total',
      help: 'Personal fields decided, by purpose, class and decision (released, masked, hashed, withheld; reason for withheld).',
      labelNames: ['purpose', 'pii_class', 'decision', 'reason'],
      registers,
      collect: () => this.flushPrivacyCounts(),
    });
    this.auditRecords = new Counter({ name: 'c360_audit_records_total', help: 'Audit records by kind (read, change) and outcome (written, failed).', labelNames: ['kind', 'outcome'], registers });
    this.auditWrites = new Counter({
      name: 'c360_audit_writes_total',
      help: 'Audit writes (one per response that released personal data, or per change) by kind and outcome.',
      labelNames: ['kind', 'outcome'],
      registers,
    });
    this.rateLimited = new Counter({ name: 'c360_rate_limited_requests_total', help: 'Requests refused with 429, by limiter (principal, auth_failures).', labelNames: ['limiter'], registers });
    this.shed = new Counter({
      name: 'c360_shed_requests_total',
      help: 'Requests refused to shed load: 503 while draining (draining) or when admission control could not start them in time (overloaded).',
      labelNames: ['reason'],
      registers,
    });
    const slowClients = () => this.slowClients;
    const seen: Record<SlowClientCut, number> = { headers: 0, body: 0, request: 0 };
    new Counter({
      name: 'c360_slow_client_cutoffs_total',
      help: 'Connections cut off for sending too slowly, by the limit they broke (headers, body, request).',
      labelNames: ['limit'],
      registers,
      collect() {
        const cut = slowClients()?.cut;
        if (!cut) return;
        for (const limit of Object.keys(seen) as SlowClientCut[]) {
          this.inc({ limit }, cut[limit] - seen[limit]);
          seen[limit] = cut[limit];
        }
      },
    });
    for (const rateLimiter of ['principal', 'auth_failures'] as const) this.rateLimited.inc({ limiter: rateLimiter }, 0);
    this.shed.inc({ reason: 'draining' }, 0);
    this.shed.inc({ reason: 'overloaded' }, 0);
  }

  /** SourceGuard's observer: one call finished (failure undefined when it succeeded). */
  readonly observeSourceCall = (source: string, call: SourceCall, failure: SourceFailure | undefined, seconds: number): void => {
    const key = `${source}|${call.operation}`;
    let child = this.sourceChildren.get(key);
    if (!child) {
      const labels = { source, operation: call.operation };
      child = { calls: this.sourceCalls.labels(labels), seconds: this.sourceSeconds.labels(labels), batch: this.sourceBatch.labels(labels) };
      this.sourceChildren.set(key, child);
    }
    child.calls.inc();
    child.seconds.observe(seconds);
    child.batch.observe(call.batchSize);
    if (failure !== undefined) this.sourceErrors.inc({ source, operation: call.operation, kind: failure });
  };

  /** The guards whose circuits are reported, and the slow-client counts; read when scraped. */
  watch(sources: Sources, slowClients: SlowClients): void {
    for (const guard of Object.values(sources.guards)) this.guards.push({ guard, name: 'default' });
    this.guards.push({ guard: sources.keyLookups, name: 'keyLookups' });
    this.slowClients = slowClients;
  }

  /** The audit sink, counted: records and writes, written or failed. */
  /** `kind`: 'completion' for the lane that completes reads after their responses left; else read or change, by the records. */
  auditSink(sink: AuditSink, lane?: 'completion'): AuditSink {
    return {
      get idle() {
        return sink.idle;
      },
      write: async (records, parentSpan) => {
        const kind = lane ?? (records.some((record) => record.fields.length > 0) ? 'read' : 'change');
        // Label children found by their joined values (`cached`): prom-client's inc with a labels object hashes them on every call.
        const count = (outcome: 'written' | 'failed'): void => {
          cached(this.counterChildren, `aw|${kind}|${outcome}`, () => this.auditWrites.labels(kind, outcome)).inc();
          cached(this.counterChildren, `ar|${kind}|${outcome}`, () => this.auditRecords.labels(kind, outcome)).inc(records.length);
        };
        try {
          await sink.write(records, parentSpan);
        } catch (error) {
          count('failed');
          throw error;
        }
        count('written');
      },
    };
  }

  /** Wraps the Apollo context function: who is asking, or why the request was refused before it ran. */
  async trackContext(request: FastifyRequest, creating: Promise<GatewayContext>): Promise<GatewayContext> {
    const record: RequestRecord = { principal: 'none', operation: undefined, outcome: undefined, result: undefined, context: undefined };
    this.records.set(request, record);
    try {
      const context = (await creating) as RecordedContext;
      record.principal = context.principal.kind;
      record.context = context;
      // Apollo copies the context object per request; the symbol property comes along.
      context[RECORD] = record;
      return context;
    } catch (error) {
      record.outcome = this.refusedOutcome(error, 'auth_failures');
      throw error;
    }
  }

  /** The operation's name and its response body, and refusals thrown inside Apollo's pipeline (the principal's rate limit). */
  plugin(): ApolloServerPlugin<GatewayContext> {
    const operations = this.operations;
    const refusedOutcome = (error: unknown) => this.refusedOutcome(error, 'principal');
    return {
      async requestDidStart({ contextValue }) {
        const record = (contextValue as RecordedContext)[RECORD];
        if (!record) return;
        return {
          async didResolveOperation({ operationName }) {
            record.operation = operations.label(operationName);
          },
          async willSendResponse({ response }) {
            if (response.body.kind === 'single') record.result = response.body.singleResult;
          },
        };
      },
      async unexpectedErrorProcessingRequest({ requestContext, error }) {
        const record = (requestContext.contextValue as RecordedContext)[RECORD];
        if (record) record.outcome = refusedOutcome(error);
      },
    };
  }

  /** Counts every /graphql answer once it is sent: its outcome, duration and the personal fields it decided. */
  register(app: FastifyInstance): void {
    app.addHook('onResponse', (request, reply, done) => {
      if (request.routeOptions.url === '/graphql') this.answered(request, reply);
      done();
    });
  }

  private answered(request: FastifyRequest, reply: FastifyReply): void {
    const record = this.records.get(request);
    const operation = record?.operation ?? 'unresolved';
    let outcome = record?.outcome ?? (record?.result ? resultOutcome(record.result) : statusOutcome(reply.statusCode));
    if (!record && reply.statusCode === 503) {
      // Answered by the drain hook before the request reached Apollo.
      outcome = 'shed';
      this.shed.inc({ reason: 'draining' });
    } else if (record?.result?.errors?.some((error) => error.extensions?.code === ErrorCode.OVERLOADED)) {
      // Admission control (src/hardening/admission.ts): no slot within C360_ADMISSION_WAIT_MS, or its queue full.
      outcome = 'shed';
      this.shed.inc({ reason: 'overloaded' });
    }
    const principal = record?.principal ?? 'none';
    cached(this.counterChildren, `r|${operation}|${principal}|${outcome}`, () => this.requests.labels(operation, principal, outcome)).inc();
    cached(this.histogramChildren, operation, () => this.requestSeconds.labels(operation)).observe(reply.elapsedTime / 1000);
    const ledger = record?.context && privacyLedgerIfMade(record.context);
    if (ledger?.touched) this.countPrivacy(ledger);
  }

  /**
   * Counts the request's decided fields into plain numbers, one per label
   * set (purpose, class, decision, reason) made once: prom-client gets them
   * when scraped (flushPrivacyCounts), not per request. Releases come in runs
   * of one class and action (a list's, a part's fields), so one lookup per run.
   */
  private countPrivacy(ledger: PrivacyLedger): void {
    const purpose = ledger.purpose ?? 'none';
    let run: PrivacyCount | undefined;
    let runClass: string | undefined;
    let runDecision: string | undefined;
    let runReason: string | undefined;
    const count = (piiClass: string, decision: keyof typeof PRIVACY_DECISION, reason: string): void => {
      if (run && piiClass === runClass && decision === runDecision && reason === runReason) {
        run.pending += 1;
        return;
      }
      runClass = piiClass;
      runDecision = decision;
      runReason = reason;
      run = this.privacyCount(purpose, piiClass, PRIVACY_DECISION[decision], reason);
      run.pending += 1;
    };
    for (const releases of ledger.releasesByCustomer.values()) {
      // A list repeated by the requests of one plan (frozen, src/privacy/ledger.ts) is counted into runs once.
      const runs = Object.isFrozen(releases) ? this.releaseRuns(releases, purpose) : undefined;
      if (runs) for (const [entry, n] of runs) entry.pending += n;
      else for (const release of releases) count(release.piiClass, release.decision, 'none');
    }
    for (const outcome of ledger.withheldFields) count(outcome.piiClass, outcome.decision, outcome.reason ?? 'POLICY_DENIES');
  }

  /** A frozen release list's counts, as runs of one label set each, made once per list and purpose. */
  private releaseRuns(releases: readonly Release[], purpose: string): ReadonlyArray<readonly [PrivacyCount, number]> {
    let byPurpose = this.releaseRunsByList.get(releases);
    if (!byPurpose) this.releaseRunsByList.set(releases, (byPurpose = new Map()));
    let runs = byPurpose.get(purpose);
    if (!runs) {
      const made: Array<[PrivacyCount, number]> = [];
      for (const release of releases) {
        const entry = this.privacyCount(purpose, release.piiClass, PRIVACY_DECISION[release.decision], 'none');
        const last = made.at(-1);
        if (last?.[0] === entry) last[1] += 1;
        else made.push([entry, 1]);
      }
      byPurpose.set(purpose, (runs = made));
    }
    return runs;
  }

  private privacyCount(purpose: string, piiClass: string, decision: string, reason: string): PrivacyCount {
    // Nested by label, so that finding a run's count builds no key.
    let byClass = this.privacyCounts.get(purpose);
    if (!byClass) this.privacyCounts.set(purpose, (byClass = new Map()));
    let byDecision = byClass.get(piiClass);
    if (!byDecision) byClass.set(piiClass, (byDecision = new Map()));
    let byReason = byDecision.get(decision);
    if (!byReason) byDecision.set(decision, (byReason = new Map()));
    let entry = byReason.get(reason);
    if (!entry) {
      byReason.set(reason, (entry = { labels: { purpose, pii_class: piiClass, decision, reason }, pending: 0 }));
      this.privacyCountList.push(entry);
    }
    return entry;
  }

  /** Hands the counts gathered since the last scrape to prom-client (its collect hook, called on every read of the counter). */
  private flushPrivacyCounts(): void {
    for (const entry of this.privacyCountList) {
      if (entry.pending === 0) continue;
      this.privacyFields.inc(entry.labels, entry.pending);
      entry.pending = 0;
    }
  }

  private refusedOutcome(error: unknown, limiter: Limiter): RequestOutcome {
    const extensions = error instanceof GraphQLError ? error.extensions : undefined;
    if (extensions?.code === ErrorCode.RATE_LIMITED) {
      this.rateLimited.inc({ limiter });
      return 'rate_limited';
    }
    const status = (extensions?.http as { status?: number } | undefined)?.status;
    return status !== undefined && status < 500 ? 'rejected' : 'failed';
  }

  /** Starts the metrics listener; resolves to its base URL. */
  async listen(host: string, port: number): Promise<string> {
    const server = createServer((request, response) => void this.serve(request, response));
    server.headersTimeout = 5_000;
    server.requestTimeout = 10_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const { address, port: bound } = server.address() as AddressInfo;
    this.address = `http://${address.includes(':') ? `[${address}]` : address}:${bound}`;
    return this.address;
  }

  /** The listener's base URL once it listens. */
  get url(): string | undefined {
    return this.address;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found: this port serves GET /metrics only.\n');
      return;
    }
    try {
      const text = await this.registry.metrics();
      response.writeHead(200, { 'content-type': this.registry.contentType, 'cache-control': 'no-store' }).end(request.method === 'HEAD' ? undefined : text);
    } catch {
      response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Metrics could not be collected.\n');
    }
  }
}

interface SourceChild {
  readonly calls: { inc(): void };
  readonly seconds: { observe(value: number): void };
  readonly batch: { observe(value: number): void };
}

interface PrivacyCount {
  readonly labels: { purpose: string; pii_class: string; decision: string; reason: string };
  pending: number;
}

/** A label child made once: prom-client hashes a label object on every call otherwise. */
function cached<T>(children: Map<string, T>, key: string, make: () => T): T {
  let child = children.get(key);
  if (child === undefined) {
    child = make();
    children.set(key, child);
  }
  return child;
}

/** The answer Apollo sent: no error, data and errors, errors and null data, or refused before execution (no data at all). */
function resultOutcome(result: FormattedExecutionResult): RequestOutcome {
  if (!result.errors || result.errors.length === 0) return 'ok';
  if (result.data === undefined) return 'rejected';
  return result.data === null ? 'failed' : 'partial';
}

/** An answer that never reached Apollo's pipeline (malformed body, slow body). */
function statusOutcome(status: number): RequestOutcome {
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'failed';
  return status >= 400 ? 'rejected' : 'ok';
}

/**
 * Operation names as labels: those of the trusted documents always, and the
 * first MAX_CLIENT_OPERATION_NAMES other names clients used; beyond that
 * `other`, and `anonymous` for an operation without a name. A name is a
 * GraphQL name (the parser checked it) of at most 64 characters.
 */
class OperationNames {
  private readonly known: Set<string>;
  private clientNames = 0;

  constructor(trusted: Iterable<string>) {
    this.known = new Set(trusted);
  }

  label(name: string | null | undefined): string {
    if (!name) return 'anonymous';
    if (this.known.has(name)) return name;
    if (this.clientNames >= MAX_CLIENT_OPERATION_NAMES || !OPERATION_NAME.test(name)) return 'other';
    this.clientNames += 1;
    this.known.add(name);
    return name;
  }
}

function trustedOperationNames(documents: TrustedDocuments): string[] {
  const names: string[] = [];
  for (const document of documents.values()) {
    try {
      for (const definition of parse(document).definitions) {
        if (definition.kind === Kind.OPERATION_DEFINITION && definition.name && OPERATION_NAME.test(definition.name.value)) names.push(definition.name.value);
      }
    } catch {
      // A document that does not parse runs nowhere; it has no name to count.
    }
  }
  return names;
}
