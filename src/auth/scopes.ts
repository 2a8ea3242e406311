/**
 * Scopes a principal can hold (docs/security.md). A root field or mutation
 * names the scope it needs; enforcement is the privacy layer's.
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
  'events:write',
  'consent:write',
  'erasure:write',
] as const;

export type Scope = (typeof SCOPES)[number];

export const READ_SCOPES: readonly Scope[] = ['customer:read', 'events:read', 'segments:read', 'consent:read', 'identity:read', 'schema:read'];
