import { z } from 'zod';

/** `POST /v1/resolve` and `POST /v1/canonical` answer this: one result per key, in order. */
export const resolutionResponseSchema = z.object({
  results: z.array(z.object({ customerId: z.string().min(1).nullable() })),
});
