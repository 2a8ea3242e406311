import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { DEMO_CUSTOMERS } from '../../src/embedded/demoData.js';

/**
 * What the gateway under test can do, found out by asking it, so scenarios
 * that need a feature from another issue run as soon as the feature is
 * there and are skipped, with the reason printed, while it is not.
 */
export interface Features {
  /** `Query.<name>` and `Mutation.<name>` root fields, from introspection. */
  readonly rootFields: ReadonlySet<string>;
  /** A customer token that `me` accepts, or why there is none. */
  readonly customerToken: { readonly token: string } | { readonly missing: string };
  /** Whether purpose-based enforcement withholds a field it should (docs/privacy.md). */
  readonly privacyEnforced: boolean;
}

interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
  extensions?: Record<string, unknown>;
}

export async function post(url: string, query: string, variables: Record<string, unknown>, headers: Record<string, string>): Promise<{ status: number; text: string; body: GraphQLBody }> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body: GraphQLBody = {};
  try {
    body = JSON.parse(text) as GraphQLBody;
  } catch {
    // not JSON: the status says enough
  }
  return { status: response.status, text, body };
}

export async function detectFeatures(url: string): Promise<Features> {
  const rootFields = await introspectRootFields(url);
  const customerToken = rootFields.has('Query.me') ? await obtainCustomerToken(url) : { missing: 'the schema has no Query.me' };
  return { rootFields, customerToken, privacyEnforced: await privacyEnforced(url) };
}

async function introspectRootFields(url: string): Promise<Set<string>> {
  const { body } = await post(url, '{ __schema { queryType { fields { name } } mutationType { fields { name } } } }', {}, { 'x-api-key': 'c360_demo_admin' });
  const schema = body.data?.__schema as { queryType?: { fields: Array<{ name: string }> }; mutationType?: { fields: Array<{ name: string }> } | null } | undefined;
  if (!schema) throw new Error(`introspection failed: ${JSON.stringify(body.errors ?? body)}`);
  return new Set([
    ...(schema.queryType?.fields ?? []).map((field) => `Query.${field.name}`),
    ...(schema.mutationType?.fields ?? []).map((field) => `Mutation.${field.name}`),
  ]);
}

/**
 * The marketing key asks for the email of the customer who denied marketing
 * consent. With enforcement the field is withheld (PII_ACCESS_DENIED, or an
 * `extensions.privacy` entry); without it the email comes back.
 */
export async function privacyEnforced(url: string): Promise<boolean> {
  const { body } = await post(url, 'query($id: ID!) { customer(id: $id) { profile { email } } }', { id: DEMO_CUSTOMERS.noConsent.id }, {
    'x-api-key': 'c360_demo_marketing',
    'x-c360-purpose': 'marketing',
  });
  const email = (body.data?.customer as { profile?: { email?: string | null } } | null | undefined)?.profile?.email;
  return email !== DEMO_CUSTOMERS.noConsent.email;
}

/** The HS256 secret the benchmark's gateways verify customer tokens with: new for every run, never configured anywhere else. */
export const BENCH_JWT_SECRET = randomBytes(32).toString('base64url');

/**
 * A token for the demo customer, as a first-party app's identity provider
 * would issue it (role customer, `sub` the login it verified), signed with
 * BENCH_JWT_SECRET; C360_BENCH_CUSTOMER_TOKEN overrides it. Either way `me`
 * must accept it.
 */
async function obtainCustomerToken(url: string): Promise<Features['customerToken']> {
  const token =
    process.env.C360_BENCH_CUSTOMER_TOKEN ??
    (await new SignJWT({ role: 'customer' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(DEMO_CUSTOMERS.consent.login)
      .setIssuedAt()
      .setExpirationTime('2h')
      .sign(new TextEncoder().encode(BENCH_JWT_SECRET)));
  const { status, body } = await post(url, '{ me { id } }', {}, { authorization: `Bearer ${token}`, 'x-c360-purpose': 'self_service' });
  const id = (body.data?.me as { id?: string } | null | undefined)?.id;
  if (id !== DEMO_CUSTOMERS.consent.id) {
    return { missing: `the gateway did not accept the customer token for me (HTTP ${status}, ${body.errors?.[0]?.extensions?.code ?? 'no error code'})` };
  }
  return { token };
}
