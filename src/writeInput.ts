import type {
  IdentifyInput,
  MutationForgetCustomerArgs,
  MutationLiftSuppressionArgs,
  MutationUnmergeArgs,
  SetConsentInput,
  TrackInput,
} from './generated/graphql.js';
import type { ErasureSubject } from './erasure/forgetCustomer.js';
import type { IdentityKey, ProfileRecord } from './domain/index.js';
import { badUserInput } from './errors.js';
import type { SetConsentCommand } from './identity/consent.js';
import type { IdentifyCommand } from './identity/identify.js';
import { isBlocked } from './identity/identityRules.js';
import type { Blocklist } from './identity/identityRules.js';

import type { TrackCommand } from './identity/track.js';
import type { UnmergeCommand } from './identity/unmerge.js';
import type { TrackingPlan } from './privacy/trackingPlan.js';
import { customerId, identityKey } from './validation.js';
import { MAX_IDENTIFIER_LENGTH, normalizeIdentity } from '../connectors/resolution/normalize.js';
import { identityIndexKey } from './domain/index.js';

/**
 * Mutation arguments checked and normalized into write commands. Every
 * refusal is BAD_USER_INPUT naming the field; messages never quote a value.
 */
export const MAX_IDENTITIES_PER_CALL = 20;
/** An unmerge may split off every identifier one customer can hold of the common types. */
export const MAX_UNMERGE_IDENTITIES = 100;
export const MAX_REASON_LENGTH = 500;
const MAX_PROPERTIES_BYTES = 16 * 1024;
/** Clock skew tolerated on occurredAt: a device a little ahead of the server is not an error. */
const MAX_FUTURE_MS = 5 * 60_000;
const TEXT = /^[^\u0000-\u001f\u007f]*$/;

export interface InputContext {
  readonly defaultRegion: string;
  readonly source: string;
  readonly now: Date;
  /** Identifier values that never link people. */
  readonly blocklist: Blocklist;
  /** What each event type may carry (config/tracking-plan.json). */
  readonly trackingPlan: TrackingPlan;
}

export function identifyCommand(input: IdentifyInput, context: Omit<InputContext, 'trackingPlan'>): IdentifyCommand {
  if (input.identities.length === 0 || input.identities.length > MAX_IDENTITIES_PER_CALL) {
    throw badUserInput(`input.identities must hold 1 to ${MAX_IDENTITIES_PER_CALL} identifiers.`, 'input.identities');
  }
  const seen = new Set<string>();
  const blocked: Array<{ type: IdentityKey['type']; index: number }> = [];
  const identities = input.identities.flatMap((identity, index) => {
    const key = identityOrPlaceholder(identity.type, identity.value, `input.identities[${index}].value`, context);
    if (key === 'placeholder') {
      blocked.push({ type: identity.type, index });
      return [];
    }
    if (seen.has(identityIndexKey(key))) return [];
    seen.add(identityIndexKey(key));
    return [{ key, index, verified: identity.verified === true }];
  });
  if (identities.length === 0) {
    throw badUserInput(
      'input.identities holds only blocked values (placeholders such as 0, null or all zeros); at least one identifier must identify the person.',
      'input.identities',
      { reason: 'BLOCKED_VALUE' },
    );
  }
  return { identities, blocked, profile: input.traits ? profilePatch(input.traits, context) : undefined, source: context.source };
}

/**
 * The normalized identifier, or `placeholder` when its value is on the
 * blocklist. A placeholder is often not even well-formed for its type (a
 * phone of `000-000` or `n/a` is no phone number), so the raw value is
 * checked too: it is reported as a placeholder, not as invalid input. An
 * empty value stays an error.
 */
function identityOrPlaceholder(type: IdentityKey['type'], value: string, field: string, context: Pick<InputContext, 'defaultRegion' | 'blocklist'>): IdentityKey | 'placeholder' {
  const normalized = normalizeIdentity(type, value, { defaultRegion: context.defaultRegion });
  if (normalized.ok) return isBlocked(context.blocklist, normalized.key) ? 'placeholder' : normalized.key;
  const raw = value.trim();
  if (raw !== '' && raw.length <= MAX_IDENTIFIER_LENGTH && isBlocked(context.blocklist, { type, value: raw })) return 'placeholder';
  throw badUserInput(`${field} ${normalized.reason} for identity type ${type}.`, field);
}

function profilePatch(traits: NonNullable<IdentifyInput['traits']>, context: Omit<InputContext, 'trackingPlan'>): Partial<ProfileRecord> {
  const patch: Record<string, string | null> = {};
  for (const field of ['firstName', 'lastName'] as const) {
    if (traits[field] !== undefined) patch[field] = traits[field] === null ? null : text(traits[field], `input.traits.${field}`, 100);
  }
  if (traits.email !== undefined) patch.email = traits.email === null ? null : identityKey('EMAIL', traits.email, 'input.traits.email', context.defaultRegion).value;
  if (traits.phone !== undefined) patch.phone = traits.phone === null ? null : identityKey('PHONE', traits.phone, 'input.traits.phone', context.defaultRegion).value;
  if (traits.birthDate !== undefined) patch.birthDate = traits.birthDate === null ? null : birthDate(traits.birthDate, context.now);
  return patch;
}

function birthDate(value: Date, now: Date): string {
  if (value.getTime() > now.getTime() || value.getUTCFullYear() < 1900) {
    throw badUserInput('input.traits.birthDate must be a date between 1900 and today.', 'input.traits.birthDate');
  }
  return value.toISOString().slice(0, 10);
}

/** Where an identify call claims verification: only a principal with identity:verify may (src/auth/scopes.ts). */
export function verifiedIndexes(input: IdentifyInput): number[] {
  return input.identities.flatMap((identity, index) => (identity.verified === true ? [index] : []));
}

export function trackCommand(input: TrackInput, context: InputContext): TrackCommand {
  const key = identityOrPlaceholder(input.identity.type, input.identity.value, 'input.identity.value', context);
  if (key === 'placeholder') {
    // Storing it on a customer of its own would strand the event where no identifier finds it; the sender can fix the identifier.
    throw badUserInput(
      `input.identity.value is a blocked value for identity type ${input.identity.type} (a placeholder such as 0, null or all zeros) and never identifies a customer.`,
      'input.identity.value',
      { reason: 'BLOCKED_VALUE' },
    );
  }
  const type = text(input.type, 'input.type', 128, 1);
  return {
    key,
    type,
    occurredAt: input.occurredAt ? occurredAt(input.occurredAt, context.now) : undefined,
    channel: input.channel === undefined || input.channel === null ? null : text(input.channel, 'input.channel', 64, 1),
    properties: plannedProperties(context.trackingPlan, type, properties(input.properties)),
    idempotencyKey: input.idempotencyKey === undefined || input.idempotencyKey === null ? undefined : text(input.idempotencyKey, 'input.idempotencyKey', 128, 1),
    source: context.source,
  };
}

function occurredAt(value: Date, now: Date): string {
  if (value.getTime() > now.getTime() + MAX_FUTURE_MS) {
    throw badUserInput('input.occurredAt is in the future; send the time the event happened.', 'input.occurredAt');
  }
  if (value.getUTCFullYear() < 2000) throw badUserInput('input.occurredAt is before the year 2000.', 'input.occurredAt');
  return value.toISOString();
}

function properties(value: unknown): Record<string, unknown> | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw badUserInput('input.properties must be a JSON object.', 'input.properties');
  if (Buffer.byteLength(JSON.stringify(value)) > MAX_PROPERTIES_BYTES) {
    throw badUserInput(`input.properties is larger than ${MAX_PROPERTIES_BYTES / 1024} KB.`, 'input.properties');
  }
  return value as Record<string, unknown>;
}

/**
 * The tracking plan's check: a property it does not declare for the event's
 * type is refused (naming the property, never its value), unless the type
 * quarantines them; a declared one must have its type.
 */
function plannedProperties(plan: TrackingPlan, eventType: string, value: Record<string, unknown> | null): Record<string, unknown> | null {
  if (value === null) return null;
  const problem = plan.check(eventType, value);
  if (!problem) return value;
  if (problem.kind === 'type') {
    throw badUserInput(`input.properties.${problem.name} must be ${problem.expected === 'integer' ? 'an integer' : `a${problem.expected === 'object' || problem.expected === 'array' ? 'n' : ''} ${problem.expected}`}, as the tracking plan declares it for this event type.`, `input.properties.${problem.name}`);
  }
  const named = problem.names.join(', ');
  const others = problem.unnamed > 0 ? `${named ? ' and ' : ''}${problem.unnamed} other propert${problem.unnamed === 1 ? 'y' : 'ies'}` : '';
  throw badUserInput(
    `input.properties has properties the tracking plan does not declare for this event type: ${named}${others}. Leave them out, or add them with a type and a class to the tracking plan (docs/privacy.md).`,
    'input.properties',
    { unplanned: problem.names },
  );
}

export function setConsentCommand(input: SetConsentInput): SetConsentCommand {
  return {
    customerId: customerId(input.customerId, 'input.customerId'),
    purpose: input.purpose,
    status: input.status,
    channel: input.channel === undefined || input.channel === null ? null : text(input.channel, 'input.channel', 64, 1),
    source: text(input.source, 'input.source', 64, 1),
  };
}

/** `forgetCustomer(id:)` or `forgetCustomer(identity:)`: exactly one. */
export function forgetCustomerSubject(args: MutationForgetCustomerArgs, context: Pick<InputContext, 'defaultRegion' | 'blocklist'>): ErasureSubject {
  const { id, identity } = args;
  if ((id === undefined || id === null) === (identity === undefined || identity === null)) {
    throw badUserInput('forgetCustomer takes either id or identity, exactly one of them.', id === undefined || id === null ? 'id' : 'identity');
  }
  if (id !== undefined && id !== null) return { by: 'id', id: customerId(id, 'id') };
  return { by: 'identity', key: unblockedIdentity(identity!, 'identity.value', context) };
}

/** `liftSuppression(identity:)`. */
export function liftSuppressionIdentity(args: MutationLiftSuppressionArgs, context: Pick<InputContext, 'defaultRegion' | 'blocklist'>): IdentityKey {
  return unblockedIdentity(args.identity, 'identity.value', context);
}

/** A placeholder identifies nobody, so there is nobody to erase or suppress by it. */
function unblockedIdentity(identity: { type: IdentityKey['type']; value: string }, field: string, context: Pick<InputContext, 'defaultRegion' | 'blocklist'>): IdentityKey {
  const key = identityOrPlaceholder(identity.type, identity.value, field, context);
  if (key === 'placeholder') {
    throw badUserInput(`${field} is a blocked value for identity type ${identity.type} (a placeholder such as 0, null or all zeros) and identifies nobody.`, field, {
      reason: 'BLOCKED_VALUE',
    });
  }
  return key;
}

export function unmergeCommand(args: MutationUnmergeArgs, context: Pick<InputContext, 'defaultRegion'>): UnmergeCommand {
  const id = customerId(args.customerId, 'customerId');
  if (args.identities.length === 0 || args.identities.length > MAX_UNMERGE_IDENTITIES) {
    throw badUserInput(`identities must hold 1 to ${MAX_UNMERGE_IDENTITIES} identifiers.`, 'identities');
  }
  const seen = new Set<string>();
  const identities = args.identities.flatMap((identity, index) => {
    const key = identityKey(identity.type, identity.value, `identities[${index}].value`, context.defaultRegion);
    if (seen.has(identityIndexKey(key))) return [];
    seen.add(identityIndexKey(key));
    return [{ key, index }];
  });
  return { customerId: id, identities, reason: text(args.reason, 'reason', MAX_REASON_LENGTH, 1) };
}

export function text(value: string, field: string, max: number, min = 0): string {
  const trimmed = value.trim();
  if (trimmed.length < min || trimmed.length > max || !TEXT.test(trimmed)) {
    throw badUserInput(`${field} must be ${min > 0 ? `${min}–` : 'at most '}${max} characters without control characters.`, field);
  }
  return trimmed;
}
