import type { ConsentRecord, IdentityKey, SuggestionPage, SuggestionPosition, SuggestionStatus } from '../domain/index.js';
import { setConsent } from './consent.js';
import type { SetConsentCommand } from './consent.js';
import { identify } from './identify.js';
import type { IdentifyCommand, IdentifyOutcome } from './identify.js';
import { WriteScope } from './scope.js';
import type { IdentityServices, WriteContext } from './scope.js';
import { track } from './track.js';
import type { TrackCommand, TrackOutcome } from './track.js';
import { unmerge, unmergeAuditDetail } from './unmerge.js';
import { acceptSuggestion, keepApart, listSuggestions, rejectSuggestion } from './suggestions.js';
import type { AcceptOutcome, RejectOutcome } from './suggestions.js';
import { markVerified } from './mergeEngine.js';

import type { UnmergeCommand, UnmergeOutcome } from './unmerge.js';
import { identityIndexKey } from '../domain/index.js';

/**
 * The write path of the gateway: identity resolution over the single view
 * (docs/identity-resolution.md). Whatever resolution adapter answers reads,
 * writes keep the single view's identity graph, the system of record.
 */
export class IdentityEngine {
  constructor(readonly services: IdentityServices) {}

  /** Then the customer as it is now goes to online matching, which may suggest (never make) a merge. */
  async identify(command: IdentifyCommand, context: WriteContext): Promise<IdentifyOutcome> {
    const scope = new WriteScope(this.services, context);
    const outcome = await identify(scope, command);
    await this.services.customerWrites?.identified(scope, outcome.record, outcome.merged);
    return outcome;
  }

  track(command: TrackCommand, context: WriteContext): Promise<TrackOutcome> {
    return track(new WriteScope(this.services, context), command);
  }

  setConsent(command: SetConsentCommand, context: WriteContext): Promise<ConsentRecord | null> {
    return setConsent(new WriteScope(this.services, context), command);
  }

  /**
   * Splits identifiers off a customer; every split (a repeat too) is audited
   * on both customers' trails with counts and types, never values, the
   * reason or the other side's id.
   */
  async unmerge(command: UnmergeCommand, context: WriteContext): Promise<UnmergeOutcome> {
    const scope = new WriteScope(this.services, context);
    const outcome = await unmerge(scope, command);
    if (outcome.status !== 'split') return outcome;
    if (!outcome.duplicate) await keepApart(scope, [outcome.original.id, outcome.split.id]);
    this.services.customerWrites?.changed([outcome.original, outcome.split], []);
    const detail = unmergeAuditDetail(command.identities.map((item) => item.key), outcome.counts, outcome.duplicate);
    await this.services.audit.appliedChanges(
      scope.actor('unmerge'),
      [
        { customerId: outcome.original.id, detail: { change: 'unmerge', ...detail, side: 'kept' } },
        { customerId: outcome.split.id, detail: { change: 'unmerge', ...detail, side: 'split-off' } },
      ],
      context.span,
    );
    return outcome;
  }

  /** Merge suggestions with a status, newest first (identity:read). */
  mergeSuggestions(query: { readonly status: SuggestionStatus; readonly first: number; readonly after?: SuggestionPosition | undefined }, context: WriteContext): Promise<SuggestionPage> {
    return listSuggestions(new WriteScope(this.services, context), query);
  }

  async acceptMergeSuggestion(id: string, context: WriteContext): Promise<AcceptOutcome> {
    const outcome = await acceptSuggestion(new WriteScope(this.services, context), id);
    if (outcome.status === 'merged') this.services.customerWrites?.changed([outcome.record], outcome.merged);
    return outcome;
  }

  rejectMergeSuggestion(id: string, reason: string, context: WriteContext): Promise<RejectOutcome> {
    return rejectSuggestion(new WriteScope(this.services, context), id, reason);
  }

  /**
   * A customer token's login is verified by its identity provider: recorded
   * on the customer holding it, the first time that customer reads `me`.
   * Nothing else changes, and a customer merged or split meanwhile is left
   * for the next sign-in.
   */
  async recordVerifiedLogin(login: IdentityKey, customerId: string, context: WriteContext): Promise<void> {
    const scope = new WriteScope(this.services, context);
    const verified = new Set([identityIndexKey(login)]);
    await scope.store.update(customerId, (current) => {
      const identity = current.identities.find((candidate) => identityIndexKey(candidate) === identityIndexKey(login));
      if (!identity || identity.verified) return null;
      return { record: { ...current, identities: markVerified(current.identities, verified) }, result: null };
    });
  }
}
