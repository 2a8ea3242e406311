import { createHash } from 'node:crypto';

/**
 * What the privacy layer (issue 4) does to a customer response, applied
 * here to a real response of the read path so the console's rendering of
 * withheld, masked and hashed fields can be checked on a gateway that has
 * no privacy layer yet. It follows the cross-issue agreement exactly:
 * a withheld field is null with a PII_ACCESS_DENIED error at its path; a
 * masked or hashed field is a value; each has an entry in
 * `extensions.privacy.fields` with its dotted path, class, decision and reason.
 * Only the console's UI is under test with it; the real privacy layer has
 * its own tests and the console's real-gateway tests.
 */
export type PiiClass = 'CONTACT' | 'IDENTIFIER' | 'DEMOGRAPHIC' | 'LOCATION' | 'FINANCIAL' | 'BEHAVIORAL';
export type Action = 'allow' | 'mask' | 'hash' | 'deny';
export interface FixturePolicy {
  readonly purpose: string;
  readonly actions: Readonly<Record<PiiClass, Action>>;
  /** Reason for a denied field: CONSENT_NOT_GRANTED when consent is missing, else POLICY_DENIES. */
  readonly denyReason: string;
}

/**
 * The @pii fields of the console's customer query, as paths below `customer`
 * (`*` is any list index), parts before their fields: a part (a list, an
 * object from a source) is withheld as a whole or released as it is, and its
 * fields are then decided on their own (docs/privacy.md, "Classifying fields").
 */
const PII_FIELDS: readonly (readonly [string, PiiClass, 'part'?])[] = [
  ['createdAt', 'BEHAVIORAL'],
  ['updatedAt', 'BEHAVIORAL'],
  ['profile.firstName', 'CONTACT'],
  ['profile.lastName', 'CONTACT'],
  ['profile.email', 'CONTACT'],
  ['profile.phone', 'CONTACT'],
  ['profile.birthDate', 'DEMOGRAPHIC'],
  ['profile.address', 'LOCATION'],
  ['identities', 'IDENTIFIER', 'part'],
  ['identities.*.value', 'IDENTIFIER'],
  ...(['source', 'firstSeenAt', 'lastSeenAt'] as const).map((field) => [`identities.*.${field}`, 'BEHAVIORAL'] as const),
  ['consents', 'BEHAVIORAL', 'part'],
  ...(['status', 'channel', 'updatedAt', 'source'] as const).map((field) => [`consents.*.${field}`, 'BEHAVIORAL'] as const),
  ['consentHistory', 'BEHAVIORAL', 'part'],
  ...(['status', 'channel', 'source', 'at', 'note'] as const).map((field) => [`consentHistory.*.${field}`, 'BEHAVIORAL'] as const),
  ['segments', 'BEHAVIORAL', 'part'],
  ['segments.*.since', 'BEHAVIORAL'],
  ['loyalty', 'FINANCIAL', 'part'],
  ['loyalty.memberId', 'IDENTIFIER'],
  ...(['tier', 'pointsBalance', 'lifetimePoints', 'tierExpiresAt'] as const).map((field) => [`loyalty.${field}`, 'FINANCIAL'] as const),
  ['crm', 'BEHAVIORAL', 'part'],
  ['crm.crmId', 'IDENTIFIER'],
  ['crm.accountManager', 'BEHAVIORAL'],
  ['crm.openCases', 'BEHAVIORAL', 'part'],
  ['crm.openCases.*.id', 'IDENTIFIER'],
  ...(['subject', 'status', 'openedAt'] as const).map((field) => [`crm.openCases.*.${field}`, 'BEHAVIORAL'] as const),
  ['traits', 'BEHAVIORAL', 'part'],
  ['traits.lifetimeValue', 'FINANCIAL'],
  ...(['orderCount', 'firstSeenAt', 'lastSeenAt'] as const).map((field) => [`traits.${field}`, 'BEHAVIORAL'] as const),
  ['events', 'BEHAVIORAL', 'part'],
  ...(['type', 'occurredAt', 'channel', 'source'] as const).map((field) => [`events.edges.*.node.${field}`, 'BEHAVIORAL'] as const),
  ['events.edges.*.node.properties', 'BEHAVIORAL', 'part'],
];

interface Body {
  data?: { customer?: Record<string, unknown> | null } | null;
  errors?: unknown[];
  extensions?: Record<string, unknown>;
}

export function applyFixturePolicy(body: Body, policy: FixturePolicy): Body {
  const customer = body.data?.customer;
  if (!customer) return body;
  const errors: unknown[] = [...(body.errors ?? [])];
  const fields: unknown[] = [];
  for (const [pattern, piiClass, part] of PII_FIELDS) {
    for (const path of expand(customer, pattern.split('.'), [])) {
      const action = policy.actions[piiClass];
      const value = get(customer, path);
      if (action === 'allow' || value === null || value === undefined) continue;
      if (part && action !== 'deny') continue; // a part's presence is released as it is
      const dotted = ['customer', ...path].join('.');
      if (action === 'deny') {
        set(customer, path, null);
        errors.push({
          message: `Personal field withheld: ${policy.denyReason}.`,
          path: ['customer', ...path],
          extensions: { code: 'PII_ACCESS_DENIED', reason: policy.denyReason, piiClass },
        });
        fields.push({ path: dotted, piiClass, decision: 'deny', reason: policy.denyReason });
      } else {
        set(customer, path, action === 'hash' ? sha256(value) : mask(value));
        fields.push({ path: dotted, piiClass, decision: action, reason: action === 'hash' ? 'POLICY_HASHES' : 'POLICY_MASKS' });
      }
    }
  }
  return { ...body, errors: errors.length > 0 ? errors : undefined, extensions: { ...body.extensions, privacy: { purpose: policy.purpose, fields } } };
}

function expand(value: unknown, pattern: readonly string[], at: readonly (string | number)[]): (string | number)[][] {
  if (pattern.length === 0) return [[...at]];
  if (value === null || typeof value !== 'object') return [];
  const [head, ...rest] = pattern as [string, ...string[]];
  if (head === '*') return Array.isArray(value) ? value.flatMap((item, index) => expand(item, rest, [...at, index])) : [];
  return head in value ? expand((value as Record<string, unknown>)[head], rest, [...at, head]) : [];
}

function get(root: unknown, path: readonly (string | number)[]): unknown {
  return path.reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], root);
}

function set(root: unknown, path: readonly (string | number)[], value: unknown): void {
  const parent = get(root, path.slice(0, -1)) as Record<string | number, unknown>;
  parent[path.at(-1)!] = value;
}

function sha256(value: unknown): string {
  return createHash('sha256').update(String(value)).digest('hex');
}

function mask(value: unknown): unknown {
  if (typeof value === 'string') return `${value.slice(0, 1)}***`;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, typeof item === 'string' ? `${item.slice(0, 1)}***` : item]));
  return value;
}
