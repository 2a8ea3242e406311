import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey, JWTPayload } from 'jose';
import { testDemoData } from './demo.js';

/** An HS256 secret for test gateways (C360_JWT_SECRET). */
export const TEST_JWT_SECRET = 'test-secret-for-c360-tokens-0123456789abcdef';

export interface TokenOptions {
  readonly expiresIn?: string | number;
  readonly issuer?: string;
  readonly audience?: string;
}

/** Signs claims with the test HS256 secret, or with `key` (ES256, with its key id) when given. */
export async function signToken(claims: JWTPayload, options: TokenOptions = {}, key?: { privateKey: CryptoKey; kid: string }): Promise<string> {
  // A test that sets `iat` itself keeps it (a token issued in the past).
  let jwt = new SignJWT(claims).setExpirationTime(options.expiresIn ?? '5m');
  if (claims.iat === undefined) jwt = jwt.setIssuedAt();
  if (options.issuer) jwt = jwt.setIssuer(options.issuer);
  if (options.audience) jwt = jwt.setAudience(options.audience);
  if (key) return jwt.setProtectedHeader({ alg: 'ES256', kid: key.kid }).sign(key.privateKey);
  return jwt.setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(TEST_JWT_SECRET));
}

/**
 * The login a demo customer signs in with: the USER_ID its identity provider
 * verified, which is what a customer token names (never the customer id).
 */
export function loginOf(customerId: string): string {
  const customer = testDemoData().customers.find((c) => c.id === customerId);
  const login = customer?.identities.find((identity) => identity.type === 'USER_ID')?.value;
  if (!login) throw new Error(`demo customer ${customerId} has no USER_ID to sign in with`);
  return login;
}

export async function es256Key(kid: string): Promise<{ privateKey: CryptoKey; publicJwk: Record<string, unknown>; kid: string }> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { privateKey, kid, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

/** A real JWKS endpoint on loopback, as an identity provider serves it; counts its hits. */
export class JwksServer {
  hits = 0;
  private readonly server: Server;

  constructor(private readonly keys: ReadonlyArray<Record<string, unknown>>) {
    this.server = createServer((request, response) => {
      this.hits += 1;
      if (request.url !== '/.well-known/jwks.json') {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: this.keys }));
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/.well-known/jwks.json`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
