import './console.css';
import { credentialFrom, forgetCredential, saveCredential, savedCredential } from '../shared/credential.js';
import type { Credential } from '../shared/credential.js';
import { purposeLabel } from '../shared/purposes.js';
import { allowedPurposes, loadCustomer, loadEvents, mayWriteConsent, recordConsent, signIn } from './api.js';
import type { ConsoleSession } from './api.js';
import type { CustomerLookup } from './customerQuery.js';
import { announce, byId, h } from './dom.js';
import { sourceFailures } from './privacy.js';
import { SEARCH_KINDS, describeLookup, lookupFor } from './search.js';
import { acceptSuggestion, loadPair, loadSuggestions, mayDecide, mayReview, rejectSuggestion } from './reviewApi.js';
import type { SuggestionItem } from './reviewApi.js';
import { customerPage } from './view/customerPage.js';
import { suggestionQueue, suggestionReview } from './view/review.js';
import type { ConsentChange } from './view/consents.js';
import type { NextPage } from './view/timeline.js';

/**
 * The call-centre console. State lives in memory (the current customer is
 * never in the URL); only the credential is kept, in sessionStorage. Nothing
 * is written to the browser console.
 */
const page = {
  signIn: byId('sign-in'),
  signInForm: byId<HTMLFormElement>('sign-in-form'),
  credential: byId<HTMLInputElement>('credential'),
  signInStatus: byId('sign-in-status'),
  workspace: byId('workspace'),
  sessionBar: byId('session-bar'),
  principal: byId('principal'),
  signOut: byId<HTMLButtonElement>('sign-out'),
  purpose: byId<HTMLSelectElement>('purpose'),
  searchForm: byId<HTMLFormElement>('search-form'),
  searchKind: byId<HTMLSelectElement>('search-kind'),
  search: byId<HTMLInputElement>('search'),
  searchButton: byId<HTMLButtonElement>('search-button'),
  searchStatus: byId('search-status'),
  customer: byId('customer'),
  review: byId('review'),
  reviewRefresh: byId<HTMLButtonElement>('review-refresh'),
  reviewStatus: byId('review-list-status'),
  reviewQueue: byId('review-queue'),
  reviewPair: byId('review-pair'),
};

const state: { session?: ConsoleSession; customerId?: string } = {};

function start(): void {
  page.searchKind.append(...SEARCH_KINDS.map(([value, label]) => h('option', { value }, label)));
  page.signInForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const credential = credentialFrom(page.credential.value);
    if (!credential) return announce(page.signInStatus, 'That is neither an API key (c360_…) nor an agent token.', 'error');
    void enter(credential);
  });
  page.searchForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const lookup = lookupFor(page.searchKind.value, page.search.value);
    if ('error' in lookup) return announce(page.searchStatus, lookup.error, 'error');
    void showCustomer(lookup);
  });
  page.purpose.addEventListener('change', () => {
    if (!state.session) return;
    state.session.purpose = page.purpose.value || null;
    if (state.customerId) void showCustomer({ by: 'id', id: state.customerId });
  });
  page.signOut.addEventListener('click', signOut);
  page.reviewRefresh.addEventListener('click', () => void showSuggestions());
  const saved = savedCredential();
  if (saved) void enter(saved);
  else showSignIn();
}

async function enter(credential: Credential): Promise<void> {
  announce(page.signInStatus, 'Signing in…');
  const result = await signIn(credential);
  if (result.kind === 'failed') {
    forgetCredential();
    showSignIn();
    return announce(page.signInStatus, result.message, 'error');
  }
  saveCredential(credential);
  page.credential.value = '';
  announce(page.signInStatus, '');
  state.session = result.session;
  showWorkspace(result.session);
}

function showSignIn(): void {
  page.workspace.hidden = true;
  page.sessionBar.hidden = true;
  page.signIn.hidden = false;
  page.credential.focus();
}

function showWorkspace(session: ConsoleSession): void {
  const viewer = session.viewer;
  page.principal.textContent = viewer
    ? `Signed in as ${viewer.name}`
    : `Signed in with ${session.credential.kind === 'apiKey' ? 'an API key' : 'an agent token'}`;
  const purposes = allowedPurposes(viewer);
  page.purpose.replaceChildren(
    ...(purposes.length > 0
      ? purposes.map((purpose) => h('option', { value: purpose }, purposeLabel(purpose)))
      : [h('option', { value: '' }, 'No purpose (personal data is withheld)')]),
  );
  page.purpose.value = session.purpose ?? '';
  page.signIn.hidden = true;
  page.sessionBar.hidden = false;
  page.workspace.hidden = false;
  page.review.hidden = !mayReview(session);
  page.search.focus();
}

function signOut(): void {
  forgetCredential();
  delete state.session;
  delete state.customerId;
  page.customer.replaceChildren();
  page.reviewQueue.replaceChildren();
  page.reviewPair.replaceChildren();
  announce(page.reviewStatus, '');
  page.search.value = '';
  announce(page.searchStatus, '');
  showSignIn();
  announce(page.signInStatus, 'Signed out.');
}

async function showCustomer(lookup: CustomerLookup, done = 'Customer found.'): Promise<boolean> {
  const session = state.session;
  if (!session) return false;
  page.searchButton.disabled = true;
  announce(page.searchStatus, 'Searching…');
  const result = await loadCustomer(session, lookup);
  page.searchButton.disabled = false;
  if (result.kind !== 'found') {
    delete state.customerId;
    page.customer.replaceChildren();
    const message = result.kind === 'not-found' ? `No customer holds this ${describeLookup(lookup)}.` : result.message;
    announce(page.searchStatus, message, result.kind === 'not-found' ? 'info' : 'error');
    return false;
  }
  state.customerId = result.customer.id;
  const failures = sourceFailures(result.body.errors);
  const view = { customer: result.customer, notes: result.notes, failures, omitted: result.omitted, errors: result.body.errors ?? [] };
  page.customer.replaceChildren(
    customerPage(view, {
      purposeLabel: session.purpose ? purposeLabel(session.purpose) : 'none',
      consent: { writable: mayWriteConsent(session), record: (change) => changeConsent(session, result.customer.id, change) },
      nextEvents: nextEvents(session, result.customer.id),
    }),
  );
  announce(page.searchStatus, failures.length > 0 ? `${done} Partial result: some sources did not answer.` : done, 'success');
  byId('customer-heading').focus();
  return true;
}

function nextEvents(session: ConsoleSession, customerId: string): NextPage {
  return async (cursor) => {
    const result = await loadEvents(session, customerId, cursor);
    return result.kind === 'page' ? { page: result.page, notes: result.notes } : result.message;
  };
}

async function changeConsent(session: ConsoleSession, customerId: string, change: ConsentChange): Promise<string | undefined> {
  const result = await recordConsent(session, { customerId, ...change, source: 'c360-console' });
  if (result.kind === 'failed') return result.message;
  // The page shows the consent as the gateway returns it on the next read, not as the form guessed it.
  const shown = await showCustomer({ by: 'id', id: customerId }, 'Consent change recorded; the page shows the customer as read again.');
  if (shown) byId('heading-consents').focus();
  return undefined;
}

/** The queue of open merge suggestions (scope identity:read). */
async function showSuggestions(done?: string): Promise<void> {
  const session = state.session;
  if (!session) return;
  announce(page.reviewStatus, 'Loading suggestions…');
  const result = await loadSuggestions(session);
  if (result.kind === 'failed') return announce(page.reviewStatus, result.message, 'error');
  page.reviewQueue.replaceChildren(suggestionQueue(result.suggestions, (suggestion) => void reviewSuggestion(suggestion)));
  const count = `${result.suggestions.length} open suggestion${result.suggestions.length === 1 ? '' : 's'}.`;
  announce(page.reviewStatus, done ? `${done} ${count}` : count, done ? 'success' : 'info');
}

/** One suggestion side by side; a decision reloads the queue. */
async function reviewSuggestion(suggestion: SuggestionItem): Promise<void> {
  const session = state.session;
  if (!session) return;
  announce(page.reviewStatus, 'Reading the two customers…');
  const pair = await loadPair(session, suggestion.customerIds);
  if (pair.kind === 'failed') return announce(page.reviewStatus, pair.message, 'error');
  const decided = async (result: { kind: 'decided'; message: string } | { kind: 'failed'; message: string }) => {
    if (result.kind === 'failed') return result.message;
    page.reviewPair.replaceChildren();
    await showSuggestions(result.message);
    byId('review-heading-list').focus();
    return undefined;
  };
  page.reviewPair.replaceChildren(
    suggestionReview(suggestion, pair.customers, pair.notes, {
      mayDecide: mayDecide(session),
      accept: async () => decided(await acceptSuggestion(session, suggestion.id)),
      reject: async (reason) => decided(await rejectSuggestion(session, suggestion.id, reason)),
    }),
  );
  announce(page.reviewStatus, '');
  byId('review-heading').focus();
}

start();
