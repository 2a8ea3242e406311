import { z } from 'zod';

export const loyaltyMemberSchema = z.object({
  memberId: z.string().min(1),
  tier: z.string(),
  pointsBalance: z.number().int(),
  lifetimePoints: z.number().int(),
  tierExpiresAt: z.iso.datetime({ offset: true }).nullish(),
});

/** `GET /members?ids=a,b,c` answers this. Members are checked one by one, so one bad record fails only its key. */
export const membersResponseSchema = z.object({
  members: z.array(z.unknown()),
});
