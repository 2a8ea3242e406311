/**
 * Scopes a principal can hold (docs/security.md). Which field needs which
 * scope is the table in src/auth/fieldAccess.ts.
 */
export const SCOPES = [
  'customer:read',
  'events:read',
  'segments:read',
  'consent:read',
  'identity:read',
  'audit:read',
  'schema:read',
  'identity:write',
  /** Mark identifiers verified in identify: the caller vouches that the person proved them (docs/security.md). */
  'identity:verify',
  'events:write',
  'consent:write',
  'erasure:write',
  /** The per-source detail of /readyz (adapters, circuits, latencies); without it /readyz says only ready or not. */
  'health:read',
] as const;

export type Scope = (typeof SCOPES)[number];

/**
 * Other spellings accepted where keys are created (npm run keys), stored as
 * the scope they name: the public contract text for Segment.members says
 * `segment:read`, the scope is `segments:read`.
 */
export const SCOPE_ALIASES: Readonly<Record<string, Scope>> = { 'segment:read': 'segments:read' };

export const READ_SCOPES: readonly Scope[] = ['customer:read', 'events:read', 'segments:read', 'consent:read', 'identity:read', 'schema:read'];

/** End-user tokens: their own record (`me`) and what hangs off it. */
export const CUSTOMER_SCOPES: readonly Scope[] = ['customer:read', 'events:read', 'segments:read', 'consent:read'];

/** Call-centre agents: every read a support conversation needs. */
export const AGENT_SCOPES: readonly Scope[] = ['customer:read', 'events:read', 'segments:read', 'consent:read', 'identity:read'];
