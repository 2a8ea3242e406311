import { z } from 'zod';

export const supportCaseSchema = z.object({
  id: z.string(),
  subject: z.string(),
  status: z.string(),
  openedAt: z.string(),
});

/** A contact as stored: in MongoDB `_id` is the CRM id. */
export const crmContactSchema = z.object({
  crmId: z.string(),
  customerRef: z.string(),
  accountManager: z.string().nullish(),
  firstName: z.string().nullish(),
  lastName: z.string().nullish(),
  email: z.string().nullish(),
  phone: z.string().nullish(),
  cases: z.array(supportCaseSchema).default([]),
});

export const mongoContactSchema = crmContactSchema.omit({ crmId: true }).extend({ _id: z.string() });
