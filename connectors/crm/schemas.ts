import { z } from 'zod';

/** A case as the port returns it; `closed` is derived from the status where the store does not say. */
export const supportCaseSchema = z
  .object({
    id: z.string().min(1),
    subject: z.string(),
    status: z.string(),
    closed: z.boolean().optional(),
    openedAt: z.iso.datetime({ offset: true }),
  })
  .transform(({ closed, ...supportCase }) => ({ ...supportCase, closed: closed ?? supportCase.status.toLowerCase() === 'closed' }));

export const crmContactSchema = z.object({
  crmId: z.string().min(1),
  accountManager: z.string().nullish(),
  firstName: z.string().nullish(),
  lastName: z.string().nullish(),
  email: z.string().nullish(),
  phone: z.string().nullish(),
  cases: z.array(supportCaseSchema).default([]),
});
