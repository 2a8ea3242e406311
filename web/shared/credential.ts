/**
 * The key or token an agent signed in with. It lives in this tab's
 * sessionStorage only: never localStorage (it would outlive the session),
 * never the URL (it would land in history and server logs). Both pages of
 * the gateway share it, so signing in on the console also signs in the
 * explorer in the same tab.
 */
export interface Credential {
  /** `apiKey` goes in x-api-key; `token` (an agent JWT) in authorization: Bearer. */
  readonly kind: 'apiKey' | 'token';
  readonly secret: string;
}

const STORAGE_KEY = 'c360.credential';

/** API keys start with `c360_`; anything else that looks like a compact JWT is a bearer token. */
export function credentialFrom(input: string): Credential | undefined {
  const secret = input.trim();
  if (/^c360_[A-Za-z0-9_.-]+$/.test(secret)) return { kind: 'apiKey', secret };
  if (/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(secret)) return { kind: 'token', secret };
  return undefined;
}

export function savedCredential(): Credential | undefined {
  const stored = sessionStorage.getItem(STORAGE_KEY);
  return stored === null ? undefined : credentialFrom(stored);
}

export function saveCredential(credential: Credential): void {
  sessionStorage.setItem(STORAGE_KEY, credential.secret);
}

export function forgetCredential(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}

export function credentialHeaders(credential: Credential | undefined): Record<string, string> {
  if (!credential) return {};
  return credential.kind === 'apiKey' ? { 'x-api-key': credential.secret } : { authorization: `Bearer ${credential.secret}` };
}
