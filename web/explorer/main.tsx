import 'graphiql/style.css';
import './explorer.css';
import './workers.js';
import { GraphiQL } from 'graphiql';
import type { ComponentProps, FormEvent } from 'react';
import { StrictMode, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { credentialFrom, credentialHeaders, forgetCredential, saveCredential, savedCredential } from '../shared/credential.js';
import type { Credential } from '../shared/credential.js';
import { PURPOSES, purposeHeader, purposeLabel } from '../shared/purposes.js';
import { MemoryStorage } from './memoryStorage.js';

type Fetcher = ComponentProps<typeof GraphiQL>['fetcher'];

const DEFAULT_QUERY = `# c360 query explorer
#
# Sign in above with an API key or agent token and
# choose a purpose: they go with every request as
# x-api-key and x-c360-purpose (the Headers tab below
# overrides them). Run with Ctrl-Enter.
#
# Personal fields are released only for the stated
# purpose, as policy and the customer's consent allow
# (see extensions.privacy in a response).

query Segments {
  segments {
    id
    name
    description
  }
}
`;

const storage = new MemoryStorage();

/**
 * The gateway's own GraphiQL: every request goes to /graphql with the
 * signed-in credential and purpose, exactly like any client's.
 */
function createFetcher(credential: Credential | undefined, purpose: string): Fetcher {
  return async (params, options) => {
    const editorHeaders = Object.entries(options?.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)] as const);
    const signedInByEditor = editorHeaders.some(([name]) => name === 'x-api-key' || name === 'authorization');
    if (!credential && !signedInByEditor) {
      return { errors: [{ message: 'Sign in above with an API key or agent token (or set x-api-key in the Headers tab) to run queries.' }] };
    }
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', ...credentialHeaders(credential) };
    if (purpose) headers['x-c360-purpose'] = purposeHeader(purpose);
    // Headers typed in GraphiQL's Headers tab win over the sign-in bar.
    Object.assign(headers, Object.fromEntries(editorHeaders));
    const response = await fetch('/graphql', { method: 'POST', headers, body: JSON.stringify(params), cache: 'no-store', credentials: 'omit' });
    return response.json();
  };
}

function Explorer() {
  const [credential, setCredential] = useState<Credential | undefined>(savedCredential);
  // What requests send, and what the control shows until Apply: one state each, so the control always shows the choice.
  const [purpose, setPurpose] = useState<string>('');
  const [chosenPurpose, setChosenPurpose] = useState<string>('');
  const [status, setStatus] = useState('');
  // GraphiQL loads the schema when it mounts; a new key or purpose mounts it again (tabs stay in `storage`).
  const [generation, setGeneration] = useState(0);
  const fetcher = useMemo(() => createFetcher(credential, purpose), [credential, purpose]);

  const apply = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const input = event.currentTarget.elements.namedItem('credential') as HTMLInputElement;
    const typed = input.value;
    const next = typed === '' ? credential : credentialFrom(typed);
    if (typed !== '' && !next) return setStatus('That is neither an API key (c360_…) nor an agent token.');
    if (next) saveCredential(next);
    else forgetCredential();
    setCredential(next);
    setPurpose(chosenPurpose);
    setStatus(next ? 'Using this key; the schema is loaded again with it.' : 'No key: the gateway will refuse requests.');
    setGeneration((n) => n + 1);
    // Only the secret is cleared; the purpose control keeps showing the purpose that is now sent.
    input.value = '';
  };

  return (
    <div className="explorer-page">
      <header className="topbar">
        <span className="brand">
          c360 <span className="muted">query explorer</span>
        </span>
        <nav aria-label="Pages">
          <a href="/console">Console</a>
        </nav>
        <form className="explorer-auth" method="post" autoComplete="off" onSubmit={apply}>
          <label htmlFor="explorer-credential">API key or agent token</label>
          <input
            id="explorer-credential"
            name="credential"
            type="password"
            autoComplete="off"
            spellCheck={false}
            placeholder={credential ? 'signed in (kept for this tab)' : 'c360_…'}
          />
          <label htmlFor="explorer-purpose">Purpose</label>
          <select id="explorer-purpose" name="purpose" value={chosenPurpose} onChange={(event) => setChosenPurpose(event.target.value)}>
            <option value="">None</option>
            {PURPOSES.map((p) => (
              <option key={p} value={p}>
                {purposeLabel(p)}
              </option>
            ))}
          </select>
          <button type="submit">Apply</button>
          <span className="explorer-status" role="status" aria-live="polite">
            {status}
          </span>
        </form>
      </header>
      <div className="explorer-graphiql">
        <GraphiQL
          key={generation}
          fetcher={fetcher}
          storage={storage}
          defaultQuery={DEFAULT_QUERY}
          shouldPersistHeaders={false}
          showPersistHeadersSettings={false}
          forcedTheme="light"
        />
      </div>
    </div>
  );
}

createRoot(document.getElementById('explorer')!).render(
  <StrictMode>
    <Explorer />
  </StrictMode>,
);
