import { graphql } from './gateway.js';

/** The demo key whose scopes are identify, track and setConsent. */
export const INGEST_KEY = 'c360_demo_ingest';
/** The demo key that may also erase and read the audit trail. */
export const ADMIN_KEY = 'c360_demo_admin';

export const TRACK = /* GraphQL */ `
  mutation Track($input: TrackInput!) {
    track(input: $input) { eventId customerId duplicate }
  }
`;

export const IDENTIFY = /* GraphQL */ `
  mutation Identify($input: IdentifyInput!) {
    identify(input: $input) {
      customer { id }
      merged
      rejectedLinks { index type reason limitType limit heldBy }
    }
  }
`;

export const SET_CONSENT = /* GraphQL */ `
  mutation SetConsent($input: SetConsentInput!) {
    setConsent(input: $input) { purpose status channel updatedAt source }
  }
`;

export interface TrackResult {
  track: { eventId: string; customerId: string; duplicate: boolean };
}

export interface IdentifyResult {
  identify: {
    customer: { id: string };
    merged: string[];
    rejectedLinks: Array<{ index: number; type: string; reason: string; limitType: string; limit: number; heldBy: string | null }>;
  };
}

export type Identity = { type: string; value: string };

/** track through HTTP with the ingest key; throws on any error so a test fails where it happened. */
export async function track(url: string, input: Record<string, unknown>): Promise<TrackResult['track']> {
  const response = await graphql<TrackResult>(url, TRACK, { variables: { input }, apiKey: INGEST_KEY });
  if (response.body.errors) throw new Error(`track failed: ${JSON.stringify(response.body.errors)}`);
  return response.body.data!.track;
}

export async function identify(url: string, identities: Identity[], traits?: Record<string, unknown>): Promise<IdentifyResult['identify']> {
  const response = await graphql<IdentifyResult>(url, IDENTIFY, { variables: { input: { identities, traits } }, apiKey: INGEST_KEY });
  if (response.body.errors) throw new Error(`identify failed: ${JSON.stringify(response.body.errors)}`);
  return response.body.data!.identify;
}

/**
 * identify as a trusted sign-in flow sends it: every identifier marked
 * verified, with the admin key (identity:verify). Two known customers merge
 * only this way (docs/identity-resolution.md, "Verified identifiers").
 */
export async function identifyVerified(url: string, identities: Identity[], traits?: Record<string, unknown>): Promise<IdentifyResult['identify']> {
  const verified = identities.map((identity) => ({ ...identity, verified: true }));
  const response = await graphql<IdentifyResult>(url, IDENTIFY, { variables: { input: { identities: verified, traits } }, apiKey: ADMIN_KEY });
  if (response.body.errors) throw new Error(`identify failed: ${JSON.stringify(response.body.errors)}`);
  return response.body.data!.identify;
}

export async function setConsent(url: string, input: Record<string, unknown>): Promise<Record<string, unknown>> {
  const response = await graphql<{ setConsent: Record<string, unknown> }>(url, SET_CONSENT, { variables: { input }, apiKey: INGEST_KEY });
  if (response.body.errors) throw new Error(`setConsent failed: ${JSON.stringify(response.body.errors)}`);
  return response.body.data!.setConsent;
}
