import type { ConsentRecord, ConsentStatus, Purpose } from '../domain/index.js';
import { withSegments } from '../segments/evaluate.js';
import { MergeEngine } from './mergeEngine.js';
import { newToken } from './ids.js';
import type { WriteScope } from './scope.js';
import { RetryLater, withRetries } from './store.js';
import { splitHolds, waitForSplit } from './unmerge.js';

export interface SetConsentCommand {
  /** Any id of the customer; an id absorbed by a merge sets the survivor's consent. */
  readonly customerId: string;
  readonly purpose: Purpose;
  readonly status: ConsentStatus;
  readonly channel?: string | null | undefined;
  readonly source: string;
}

/**
 * setConsent: the customer's decision for one purpose replaces the previous
 * one, real-time segments are re-evaluated in the same write, the decision
 * is appended to the consent history with the principal and trace id that
 * made it, and it is audited on the customer's trail. Null when no customer
 * has the id. The change stands if the audit write fails (a withdrawal is
 * never held up); the call then fails to say the record is missing.
 */
export async function setConsent(scope: WriteScope, command: SetConsentCommand): Promise<ConsentRecord | null> {
  const { store, services } = scope;
  const graph = new MergeEngine(scope);
  return withRetries('setConsent', async () => {
    const customer = await graph.follow(command.customerId);
    if (!customer) return null;
    const named = { namedId: command.customerId };
    if (splitHolds(customer, named)) await waitForSplit(scope, customer);
    const now = scope.now();
    // Given through an id a merge absorbed: an unmerge of that customer takes the decision with it.
    const origin = (customer.aliases ?? []).includes(command.customerId) ? command.customerId : customer.id;
    const consent: ConsentRecord = {
      purpose: command.purpose,
      status: command.status,
      channel: command.channel ?? null,
      updatedAt: now.toISOString(),
      source: command.source,
      origin,
    };
    const outcome = await store.update(
      customer.id,
      (current) => {
        if (splitHolds(current, named)) return null;
        const next = { ...current, consents: [...current.consents.filter((c) => c.purpose !== command.purpose), consent], updatedAt: consent.updatedAt };
        return { record: { ...next, segments: withSegments(next, services.segments.realtime(), now) }, result: null };
      },
      customer,
    );
    if (outcome.status !== 'written') throw new RetryLater(`customer ${outcome.status}`);
    services.cache.remember(outcome.record);
    const { updatedAt: at, ...decision } = consent;
    // Who changed it goes with the decision: `source` is what the caller says, `principal` who the caller is.
    const { principal, traceId } = scope.context;
    const change = { customerId: customer.id, id: newToken(), ...decision, at, note: null, principal, traceId: traceId ?? null };
    await services.singleView.appendConsentChanges([change], store.call);
    await services.audit.appliedChanges(
      scope.actor('setConsent'),
      [{ customerId: customer.id, detail: { change: 'consent', purpose: command.purpose, status: command.status } }],
      scope.context.span,
    );
    return consent;
  });
}
