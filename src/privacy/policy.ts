import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { PII_CLASSES } from '../domain/index.js';
import type { PiiClass, Purpose } from '../domain/index.js';
import { ConfigError } from '../config.js';
import { parseConfigFile, readConfigJson } from '../configFile.js';
import type { ConfigFileKind } from '../configFile.js';
import { projectPath } from '../projectRoot.js';

/**
 * The privacy policy: for each purpose, one action per PII class, whether the
 * customer's consent for that purpose is needed, and whether the purpose
 * reaches only the caller's own record. Read once at start from
 * config/policy.json (or C360_POLICY_FILE); a file that does not cover every
 * purpose and class stops the start, so no field is ever left undecided.
 */
export const POLICY_ACTIONS = ['allow', 'mask', 'hash', 'deny'] as const;
export type PolicyAction = (typeof POLICY_ACTIONS)[number];

const PURPOSE_KEYS = ['support', 'fraud', 'self_service', 'marketing', 'personalization', 'analytics'] as const;

const actionSchema = z.enum(POLICY_ACTIONS, { error: `expected one of ${POLICY_ACTIONS.join(', ')}` });

const classesSchema = z.strictObject(
  Object.fromEntries(PII_CLASSES.map((piiClass) => [piiClass, actionSchema])) as Record<PiiClass, typeof actionSchema>,
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown PII class; expected ${PII_CLASSES.join(', ')}` : undefined) },
);

const purposeRuleSchema = z.strictObject({
  consentRequired: z.boolean({ error: 'expected true or false' }),
  ownRecordOnly: z.boolean({ error: 'expected true or false' }).default(false),
  classes: classesSchema,
});

export const policyFileSchema = z.strictObject({
  $comment: z.string().optional(),
  purposes: z.strictObject(
    Object.fromEntries(PURPOSE_KEYS.map((purpose) => [purpose, purposeRuleSchema])) as Record<
      (typeof PURPOSE_KEYS)[number],
      typeof purposeRuleSchema
    >,
    { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown purpose; expected ${PURPOSE_KEYS.join(', ')}` : undefined) },
  ),
});

export interface PurposeRule {
  readonly consentRequired: boolean;
  readonly ownRecordOnly: boolean;
  readonly classes: Readonly<Record<PiiClass, PolicyAction>>;
}

/** The validated policy, keyed by the Purpose enum value. */
export type PrivacyPolicy = Readonly<Record<Purpose, PurposeRule>>;

export const DEFAULT_POLICY_FILE = pathToFileURL(projectPath('config', 'policy.json'));

export class PolicyError extends ConfigError {}

const POLICY_FILE: ConfigFileKind = { title: 'Policy file', error: (message) => new PolicyError(message), hint: 'See docs/privacy.md.' };

/** Reads and validates the policy; a bad file throws a PolicyError naming each problem by its path. */
export function loadPolicy(file: string | URL = DEFAULT_POLICY_FILE): PrivacyPolicy {
  return parsePolicy(readConfigJson(file, POLICY_FILE), String(file));
}

export function parsePolicy(raw: unknown, source = 'policy'): PrivacyPolicy {
  const rules = parseConfigFile(policyFileSchema, raw, source, POLICY_FILE).purposes;
  return {
    SUPPORT: rules.support,
    FRAUD: rules.fraud,
    SELF_SERVICE: rules.self_service,
    MARKETING: rules.marketing,
    PERSONALIZATION: rules.personalization,
    ANALYTICS: rules.analytics,
  };
}
