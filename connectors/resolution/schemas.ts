import { z } from 'zod';

/** `POST /v1/resolve` and `POST /v1/canonical` answer this: one result per key, in order. */
export const resolutionResponseSchema = z.object({
  results: z.array(z.object({ customerId: z.string().min(1).nullable() })),
});

/** GetMatchId's answer: no matchId when the workflow has not matched the record. */
export const matchIdResponseSchema = z.object({
  matchId: z.string().min(1).max(512).optional(),
  matchRule: z.string().optional(),
});
