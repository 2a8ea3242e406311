import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackServer, json } from './loopbackServer.js';

/**
 * The HTTP resolution service of docs/resolution-api.md over an in-memory
 * graph: identifiers (`TYPE#value`) → customer, and merges (absorbed → survivor).
 */
export class ResolutionTestServer extends LoopbackServer {
  readonly customers = new Set<string>();
  readonly links = new Map<string, string>();
  readonly merges = new Map<string, string>();
  /** Paths of every request, in arrival order. */
  readonly requests: string[] = [];
  /** Headers of every request, in arrival order. */
  readonly headers: IncomingHttpHeaders[] = [];

  protected handle(request: IncomingMessage, body: string, response: ServerResponse): void {
    const path = new URL(request.url ?? '/', 'http://resolution').pathname;
    this.requests.push(`${request.method} ${path}`);
    this.headers.push(request.headers);
    if (request.method === 'GET' && path === '/health') return json(response, 200, { status: 'ok' });
    if (request.method === 'POST' && path === '/v1/resolve') {
      const { identifiers } = JSON.parse(body) as { identifiers: Array<{ type: string; value: string }> };
      return json(response, 200, { results: identifiers.map(({ type, value }) => ({ customerId: this.canonical(this.links.get(`${type}#${value}`)) })) });
    }
    if (request.method === 'POST' && path === '/v1/canonical') {
      const { ids } = JSON.parse(body) as { ids: string[] };
      return json(response, 200, { results: ids.map((id) => ({ customerId: this.canonical(id) })) });
    }
    if (request.method === 'DELETE' && path.startsWith('/v1/customers/')) {
      const id = decodeURIComponent(path.slice('/v1/customers/'.length));
      const keys = [...this.links].filter(([, holder]) => holder === id).map(([key]) => key);
      for (const key of keys) this.links.delete(key);
      response.writeHead(keys.length > 0 ? 204 : 404).end();
      return;
    }
    json(response, 404, { error: 'not found' });
  }

  private canonical(id: string | undefined): string | null {
    if (id === undefined) return null;
    let current = id;
    while (this.merges.has(current)) current = this.merges.get(current)!;
    return this.customers.has(current) ? current : null;
  }
}

export type EntityResolutionMode = { readonly kind: 'ok' } | { readonly kind: 'error'; readonly status: number; readonly type: string };

export interface RecordedMatchRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
  readonly body: unknown;
}

/**
 * AWS Entity Resolution on loopback, speaking its REST/JSON wire format for
 * the two calls the adapter makes: `POST /matchingworkflows/{workflowName}/matches`
 * (GetMatchId: `{record, applyNormalization}` → `{matchId, matchRule}`, no
 * matchId when the record matched nothing) and `GET /matchingworkflows/{workflowName}`
 * (GetMatchingWorkflow). Errors carry `x-amzn-errortype` like the service.
 */
export class EntityResolutionTestServer extends LoopbackServer {
  mode: EntityResolutionMode = { kind: 'ok' };
  readonly requests: RecordedMatchRequest[] = [];
  /** `field=value` (as the workflow normalizes it) → matchId. */
  private readonly groups = new Map<string, string>();

  constructor(readonly workflowName: string) {
    super();
  }

  /** Puts records into one match group, as a completed matching job would. */
  group(matchId: string, records: ReadonlyArray<Record<string, string>>): void {
    for (const record of records) for (const [field, value] of Object.entries(record)) this.groups.set(`${field}=${normalize(value)}`, matchId);
  }

  protected handle(request: IncomingMessage, body: string, response: ServerResponse): void {
    const path = new URL(request.url ?? '/', 'http://er').pathname;
    this.requests.push({ method: request.method ?? '', path, authorization: request.headers.authorization, body: body ? JSON.parse(body) : null });
    if (this.mode.kind === 'error') return this.error(response, this.mode.status, this.mode.type);
    const workflow = /^\/matchingworkflows\/([^/]+)(\/matches)?$/.exec(path);
    if (!workflow || decodeURIComponent(workflow[1]!) !== this.workflowName) return this.error(response, 404, 'ResourceNotFoundException');
    if (request.method === 'GET' && !workflow[2]) {
      return json(response, 200, { workflowName: this.workflowName, workflowArn: `arn:aws:entityresolution:us-east-1:000000000000:matchingworkflow/${this.workflowName}` });
    }
    if (request.method === 'POST' && workflow[2]) {
      const { record, applyNormalization } = JSON.parse(body) as { record: Record<string, string>; applyNormalization?: boolean };
      const entries = Object.entries(record);
      if (entries.some(([, value]) => value.includes('@@'))) return this.error(response, 400, 'ValidationException');
      const matchId = entries.map(([field, value]) => this.groups.get(`${field}=${applyNormalization ? normalize(value) : value}`)).find(Boolean);
      return json(response, 200, matchId ? { matchId, matchRule: 'Rule 1' } : {});
    }
    this.error(response, 404, 'ResourceNotFoundException');
  }

  private error(response: ServerResponse, status: number, type: string): void {
    json(response, status, { message: `${type} from the test server` }, { 'x-amzn-errortype': type });
  }
}

/** What the workflow's normalization does to the values in these tests: trim and lower-case. */
function normalize(value: string): string {
  return value.trim().toLowerCase();
}
