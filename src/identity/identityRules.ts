import type { IdentityKey, IdentityRecord, IdentityType } from '../domain/index.js';

/**
 * The deterministic resolution rules (docs/identity-resolution.md): which
 * identifier type wins when identifiers of one call belong to different
 * customers, and how many identifiers of each type one customer may hold.
 */
export interface IdentityPolicy {
  /** Strongest first. A merge keeps the customer that holds the strongest identifier of the call. */
  readonly priority: readonly IdentityType[];
  /** Most identifiers of each type one customer may hold; a link past it is refused, never merged. */
  readonly limits: Readonly<Record<IdentityType, number>>;
  /** Values that never link people: placeholders that many people share. */
  readonly blocked: Blocklist;
}

/** Compared with the normalized value, ignoring case. */
export interface Blocklist {
  readonly values: readonly string[];
  readonly patterns: readonly RegExp[];
}

/**
 * Placeholders that tracking code and forms send when they have no real
 * value: linking on them would merge everyone who sent them. The pattern is
 * a value of nothing but zeros, dashes and separators (an all-zero device
 * advertising id, `000-000`, `---`), or none at all.
 */
export const DEFAULT_BLOCKLIST: Blocklist = {
  values: ['0', '-1', 'null', 'undefined', 'anonymous', 'test@test.com', 'none', 'n/a', 'unknown', 'nan', '[object object]'],
  patterns: [/^[\s0().+_:-]*$/i],
};

export const DEFAULT_IDENTITY_POLICY: IdentityPolicy = {
  priority: ['USER_ID', 'CRM_ID', 'LOYALTY_ID', 'EMAIL', 'PHONE', 'DEVICE_ID', 'ANONYMOUS_ID'],
  limits: { USER_ID: 1, EMAIL: 5, PHONE: 5, ANONYMOUS_ID: 100, DEVICE_ID: 20, CRM_ID: 1, LOYALTY_ID: 1 },
  blocked: DEFAULT_BLOCKLIST,
};

export function isBlocked(blocklist: Blocklist, key: IdentityKey): boolean {
  const value = key.value.trim().toLowerCase();
  return blocklist.values.includes(value) || blocklist.patterns.some((pattern) => pattern.test(value));
}

/** Lower is stronger. */
export function priorityRank(policy: IdentityPolicy, type: IdentityType): number {
  const rank = policy.priority.indexOf(type);
  return rank === -1 ? policy.priority.length : rank;
}

export function countByType(identities: readonly Pick<IdentityRecord, 'type'>[]): Map<IdentityType, number> {
  const counts = new Map<IdentityType, number>();
  for (const identity of identities) counts.set(identity.type, (counts.get(identity.type) ?? 0) + 1);
  return counts;
}

/** The first type whose limit `identities` break, or undefined when all fit. */
export function brokenLimit(policy: IdentityPolicy, identities: readonly Pick<IdentityRecord, 'type'>[]): IdentityType | undefined {
  for (const [type, count] of countByType(identities)) if (count > policy.limits[type]) return type;
  return undefined;
}
