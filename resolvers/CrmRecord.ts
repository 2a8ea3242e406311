import type { CrmRecordResolvers } from '../src/generated/graphql.js';

export const CrmRecord: CrmRecordResolvers = {
  crmId: (contact) => contact.crmId,
  accountManager: (contact) => contact.accountManager ?? null,
  openCases: (contact) =>
    contact.cases.filter((supportCase) => !supportCase.closed).map((supportCase) => ({ ...supportCase, ownerId: contact.ownerId })),
};
