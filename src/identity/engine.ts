import type { ConsentRecord } from '../../connectors/singleview/port.js';
import { setConsent } from './consent.js';
import type { SetConsentCommand } from './consent.js';
import { identify } from './identify.js';
import type { IdentifyCommand, IdentifyOutcome } from './identify.js';
import { WriteScope } from './scope.js';
import type { IdentityServices, WriteContext } from './scope.js';
import { track } from './track.js';
import type { TrackCommand, TrackOutcome } from './track.js';
import { unmerge, unmergeAuditDetail } from './unmerge.js';
import type { UnmergeCommand, UnmergeOutcome } from './unmerge.js';

/**
 * The write path of the gateway: identity resolution over the single view
 * (docs/identity-resolution.md). Whatever resolution adapter answers reads,
 * writes keep the single view's identity graph, the system of record.
 */
export class IdentityEngine {
  constructor(readonly services: IdentityServices) {}

  identify(command: IdentifyCommand, context: WriteContext): Promise<IdentifyOutcome> {
    return identify(new WriteScope(this.services, context), command);
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
}
