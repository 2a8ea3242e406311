import { MeDocument, PartnerCustomersDocument, createC360Client } from '../src/index.js';

// A web app: the signed-in customer reads their own record with their token.
export async function myAccount(url: string, accessToken: () => Promise<string>) {
  const c360 = createC360Client({ url, token: accessToken, purpose: 'self_service' });
  const { data, errors } = await c360.request(MeDocument);
  if (!data?.me) throw new Error(errors[0]?.message ?? 'not signed in');
  return { firstName: data.me.profile?.firstName ?? null, tier: data.me.loyalty?.tier ?? null, latestEvent: data.me.events?.edges[0]?.node.type ?? null };
}

// A partner: a batch of customers for marketing, with its API key. A customer
// who did not consent keeps every field but the personal ones, which are null,
// each with an error that says why.
export async function marketingBatch(url: string, apiKey: string, ids: string[]) {
  const c360 = createC360Client({ url, apiKey, purpose: 'marketing' });
  const { data, errors } = await c360.request(PartnerCustomersDocument, { ids });
  const withheld = errors.filter((error) => error.extensions.code === 'PII_ACCESS_DENIED').map((error) => error.path?.join('.'));
  return { customers: data?.customers ?? [], withheld };
}
