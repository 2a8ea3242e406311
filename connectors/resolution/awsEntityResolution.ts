import { EntityResolutionClient, GetMatchIdCommand, GetMatchingWorkflowCommand } from '@aws-sdk/client-entityresolution';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { CallOptions } from '../resilience/callOptions.js';
import { SourceError } from '../resilience/sourceError.js';
import type { EraseOutcome } from '../shared/erasure.js';
import type { IdentityKey, IdentityType } from '../../src/domain/index.js';
import type { SingleViewPort } from '../singleview/port.js';
import { EmbeddedResolution } from './embedded.js';
import type { ResolutionPort } from './port.js';
import { matchIdResponseSchema } from './schemas.js';

export interface AwsEntityResolutionOptions {
  /** The rule-based matching workflow (automatic processing cadence) to ask. */
  readonly workflowName: string;
  readonly region: string;
  /** Override for tests and VPC endpoints. */
  readonly endpoint?: string | undefined;
  /** Static credentials (loopback tests); real AWS uses the default credential chain. */
  readonly credentials?: { accessKeyId: string; secretAccessKey: string } | undefined;
  /** Identity type → the workflow schema's input field that holds it. Types not listed are resolved by the graph alone. */
  readonly fields: Partial<Record<IdentityType, string>>;
  /** `applyNormalization` of GetMatchId: let the workflow normalize as its schema says. */
  readonly applyNormalization: boolean;
  /** The single view: the identity graph, and where match groups are linked to customers. */
  readonly singleView: SingleViewPort;
}

const SOURCE = 'resolution';
/** GetMatchId takes one record per call; this many run at once per batch. */
const PARALLEL_CALLS = 8;

/**
 * Resolution with AWS Entity Resolution (docs/identity-resolution.md). The
 * gateway's own identity graph answers first, since the write path keeps it;
 * an identifier it does not know is looked up with GetMatchId, and the match
 * group (matchId) stands for the customer it is linked to. A match group is
 * linked the first time an identifier the graph knows turns out to be in it
 * (a conditional put beside the identity index), so later lookups of other
 * identifiers of the same person (a variant email the workflow matched)
 * resolve to the same canonical customer.
 */
export class AwsEntityResolution implements ResolutionPort {
  private readonly client: EntityResolutionClient;
  private readonly graph: EmbeddedResolution;

  constructor(private readonly options: AwsEntityResolutionOptions) {
    this.client = new EntityResolutionClient({
      region: options.region,
      endpoint: options.endpoint,
      credentials: options.credentials,
      maxAttempts: 1, // SourceGuard owns retries and the deadline.
      requestHandler: new NodeHttpHandler({ connectionTimeout: 2_000 }),
    });
    this.graph = new EmbeddedResolution(options.singleView);
  }

  async resolve(keys: readonly IdentityKey[], options?: CallOptions): Promise<Array<string | null | Error>> {
    const [known, matches] = await Promise.all([this.graph.resolve(keys, options), this.matchIds(keys, options)]);
    const unknownMatches = keys.flatMap((_, i) => (known[i] === null && matches[i] ? [matches[i]!] : []));
    const linked = await this.linkedCustomers(unknownMatches, options);
    await this.linkMatches(keys.map((_, i) => ({ customerId: known[i], matchId: matches[i] })), options);
    return keys.map((_, i) => {
      const fromGraph = known[i] ?? null;
      if (fromGraph !== null) return fromGraph;
      const matchId = matches[i];
      return matchId ? (linked.get(matchId) ?? null) : null;
    });
  }

  canonicalIds(ids: readonly string[], options?: CallOptions): Promise<Array<string | null | Error>> {
    return this.graph.canonicalIds(ids, options);
  }

  /** Removes the match links to these customers, then their identity index entries. */
  async erase(customerIds: readonly string[], options?: CallOptions): Promise<EraseOutcome> {
    const records = await this.options.singleView.getCustomers(customerIds, { ...options, consistent: true });
    const keys = records.flatMap((record) => (record && !(record instanceof Error) ? record.identities.map(({ type, value }) => ({ type, value })) : []));
    const matches = [...new Set((await this.matchIds(keys, options)).filter((m): m is string => m !== null))];
    const released = await Promise.all(matches.map((matchId) => this.options.singleView.releaseMatch(matchId, customerIds, options)));
    const graph = await this.graph.erase(customerIds, options);
    return graph === 'erased' || released.includes('written') ? 'erased' : 'not_found';
  }

  async health(options?: CallOptions): Promise<void> {
    await this.graph.health(options);
    try {
      await this.client.send(new GetMatchingWorkflowCommand({ workflowName: this.options.workflowName }), { abortSignal: options?.signal });
    } catch (error) {
      throw toSourceError(error);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  /** The canonical customer each match group is linked to. */
  private async linkedCustomers(matchIds: readonly string[], options?: CallOptions): Promise<Map<string, string | null | Error>> {
    const linked = new Map<string, string | null | Error>();
    if (matchIds.length === 0) return linked;
    const holders = await this.options.singleView.customerIdsByMatch(matchIds, options);
    const holderIds = [...new Set(holders.filter((holder): holder is string => typeof holder === 'string'))];
    const canonical = await this.graph.canonicalIds(holderIds, options);
    const canonicalOf = new Map(holderIds.map((id, i) => [id, canonical[i] ?? null]));
    matchIds.forEach((matchId, i) => {
      const holder = holders[i] ?? null;
      linked.set(matchId, typeof holder === 'string' ? (canonicalOf.get(holder) ?? null) : holder);
    });
    return linked;
  }

  /** First identifier seen in a match group links the group to its customer; a group already linked stays. */
  private async linkMatches(pairs: ReadonlyArray<{ customerId: string | null | Error | undefined; matchId: string | null | undefined }>, options?: CallOptions): Promise<void> {
    const links = new Map<string, string>();
    for (const { customerId, matchId } of pairs) if (typeof customerId === 'string' && matchId && !links.has(matchId)) links.set(matchId, customerId);
    await Promise.all([...links].map(([matchId, customerId]) => this.options.singleView.claimMatch(matchId, customerId, options)));
  }

  /** One GetMatchId per identifier of a mapped type; null for other types and for records the workflow has not matched. */
  private async matchIds(keys: readonly IdentityKey[], options?: CallOptions): Promise<Array<string | null>> {
    const results: Array<string | null> = keys.map(() => null);
    let next = 0;
    const worker = async () => {
      while (next < keys.length) {
        const i = next++;
        results[i] = await this.matchId(keys[i]!, options);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_CALLS, keys.length) }, worker));
    return results;
  }

  private async matchId(key: IdentityKey, options?: CallOptions): Promise<string | null> {
    const field = this.options.fields[key.type];
    if (!field) return null;
    try {
      const output = await this.client.send(
        new GetMatchIdCommand({
          workflowName: this.options.workflowName,
          record: { [field]: key.value },
          applyNormalization: this.options.applyNormalization,
        }),
        { abortSignal: options?.signal },
      );
      const parsed = matchIdResponseSchema.safeParse({ matchId: output.matchId, matchRule: output.matchRule });
      if (!parsed.success) throw new SourceError(SOURCE, 'malformed_payload', 'matchId is not a string');
      return parsed.data.matchId ? `${this.options.workflowName}/${parsed.data.matchId}` : null;
    } catch (error) {
      // A record the workflow's schema rejects has no match; it does not fail the other identifiers.
      if ((error as Error).name === 'ValidationException') return null;
      throw toSourceError(error);
    }
  }
}

/** SDK errors carry request ids and sometimes echo input: keep the error class only. */
function toSourceError(error: unknown): SourceError {
  if (error instanceof SourceError) return error;
  const name = (error as Error).name ?? 'Error';
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const unavailable = name === 'ThrottlingException' || name === 'InternalServerException' || status === undefined || status >= 500;
  return new SourceError(SOURCE, unavailable ? 'unavailable' : 'rejected', `Entity Resolution ${name}`, { cause: error });
}
