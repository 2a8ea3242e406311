import { SourceError } from '../../connectors/resilience/sourceError.js';
import type { IdentityKey, SuppressionRecord } from '../domain/index.js';
import { suppressionLiftRecord } from '../audit/index.js';
import { erasureActor } from './forgetCustomer.js';
import type { ErasureRequest, ErasureServices } from './forgetCustomer.js';

/**
 * An operator takes an identifier off the suppression list (docs/erasure.md):
 * `identify` and `track` accept it again, as a new person. The audit record
 * comes first (src/audit/erasure.ts: on the trail of the erased customer the
 * entry came from, with the identifier's type only), so no suppression is
 * ever lifted without its record; if it cannot be written, nothing is lifted
 * and the call fails saying so. Resolves to the entry that was lifted, or
 * null when the identifier was not suppressed (nothing to audit).
 */
export async function liftSuppression(services: ErasureServices, identity: IdentityKey, request: ErasureRequest): Promise<SuppressionRecord | null> {
  const entry = await services.suppressions.entry(identity, request.span);
  if (!entry) return null;
  try {
    await services.audit.changes(erasureActor(request, 'liftSuppression'), [suppressionLiftRecord(entry)], request.span);
  } catch (error) {
    const cause = error instanceof SourceError ? error.message : 'the write failed';
    throw new SourceError('singleview', error instanceof SourceError ? error.failure : 'unavailable', `liftSuppression was not applied: its audit record could not be written (${cause})`, {
      cause: error,
    });
  }
  return services.suppressions.lift(identity, request.span);
}
