import type { ConsentRecord } from '../../connectors/singleview/port.js';
import { setConsent } from './consent.js';
import type { SetConsentCommand } from './consent.js';
import { identify } from './identify.js';
import type { IdentifyCommand, IdentifyOutcome } from './identify.js';
import { WriteScope } from './scope.js';
import type { IdentityServices, WriteContext } from './scope.js';
import { track } from './track.js';
import type { TrackCommand, TrackOutcome } from './track.js';

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
}
