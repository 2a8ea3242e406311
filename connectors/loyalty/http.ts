import type { CallOptions } from '../resilience/callOptions.js';
import { malformedPayload } from '../resilience/sourceError.js';
import type { EraseOutcome } from '../shared/erasure.js';
import { HttpSource } from '../shared/httpSource.js';
import type { HttpSourceCredentials } from '../shared/httpSource.js';
import type { LoyaltyAccountRecord, LoyaltyPort } from './port.js';
import { loyaltyMemberSchema, membersResponseSchema } from './schemas.js';

export interface HttpLoyaltyOptions extends HttpSourceCredentials {
  /** Base URL of the loyalty service, e.g. http://loyalty.internal:8080 */
  readonly url: string;
  /** Keep-alive connections in the pool. */
  readonly connections?: number;
  /** Ids per request; longer batches are split (URL length). */
  readonly maxIdsPerRequest?: number;
}

const SOURCE = 'loyalty';

/**
 * The loyalty service over HTTP/JSON (docs/loyalty-api.md): `GET
 * /members?ids=a,b,c` by member id on a pool of keep-alive connections. A
 * non-2xx status, a body that is not JSON or a body off the contract is a
 * SourceError (status handling in connectors/shared/httpSource.ts); one
 * malformed member fails only its own key. `DELETE /members/{memberId}`
 * erases a member: 204 when it existed, 404 when not (both mean done).
 */
export class HttpLoyalty implements LoyaltyPort {
  private readonly http: HttpSource;
  private readonly maxIds: number;

  constructor(options: HttpLoyaltyOptions) {
    this.http = new HttpSource(SOURCE, options);
    this.maxIds = options.maxIdsPerRequest ?? 100;
  }

  async getMany(memberIds: readonly string[], options?: CallOptions): Promise<Array<LoyaltyAccountRecord | null | Error>> {
    const unique = [...new Set(memberIds)];
    const chunks: string[][] = [];
    for (let i = 0; i < unique.length; i += this.maxIds) chunks.push(unique.slice(i, i + this.maxIds));
    const found = new Map<string, LoyaltyAccountRecord | Error>();
    await Promise.all(chunks.map((chunk) => this.fetchMembers(chunk, found, options)));
    return memberIds.map((memberId) => found.get(memberId) ?? null);
  }

  private async fetchMembers(memberIds: readonly string[], into: Map<string, LoyaltyAccountRecord | Error>, options?: CallOptions): Promise<void> {
    const ids = memberIds.map(encodeURIComponent).join(',');
    const body = await this.http.json('GET', `/members?ids=${ids}`, options);
    const envelope = membersResponseSchema.safeParse(body);
    if (!envelope.success) throw malformedPayload(SOURCE, envelope.error.issues);
    const asked = new Set(memberIds);
    for (const [index, member] of envelope.data.members.entries()) {
      const parsed = loyaltyMemberSchema.safeParse(member);
      if (parsed.success) {
        if (asked.has(parsed.data.memberId)) into.set(parsed.data.memberId, parsed.data);
        continue;
      }
      const memberId = (member as { memberId?: unknown } | null)?.memberId;
      const issues = parsed.error.issues.map((issue) => ({ ...issue, path: ['members', index, ...issue.path] }));
      if (typeof memberId === 'string' && asked.has(memberId)) into.set(memberId, malformedPayload(SOURCE, issues));
      else throw malformedPayload(SOURCE, issues);
    }
  }

  erase(memberIds: readonly string[], options?: CallOptions): Promise<EraseOutcome> {
    return this.http.erase(
      memberIds.map((memberId) => `/members/${encodeURIComponent(memberId)}`),
      options,
    );
  }

  health(options?: CallOptions): Promise<void> {
    return this.http.health(options);
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}
