import { EmbeddedRecords } from '../shared/embeddedRecords.js';
import type { LoyaltyAccountRecord, LoyaltyPort } from './port.js';
import { loyaltyMemberSchema } from './schemas.js';

/** The embedded loyalty store: members by member id (connectors/shared/embeddedRecords.ts). */
export const EmbeddedLoyalty = {
  open: (file: string | undefined, seed: readonly LoyaltyAccountRecord[]): Promise<LoyaltyPort> =>
    EmbeddedRecords.open('loyalty', loyaltyMemberSchema, (member) => String(member.memberId), file, seed),
};
