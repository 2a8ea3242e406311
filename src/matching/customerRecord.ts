import type { CustomerRecord } from '../domain/index.js';
import type { MatchRecord } from './fields.js';

/** A street line's leading house number ("12B Main St" → 12B, "Main St"), or none. */
const HOUSE_NUMBER = /^\s*(\d+[A-Za-z]?(?:[-/]\d+[A-Za-z]?)?)[\s,]+(.+)$/;

/**
 * A customer of the single view as the matcher compares it: names, date of
 * birth and address from the profile, every email and phone it holds (the
 * profile's and its identifiers'), and the street line split into house
 * number and street. Values are compared, never stored: suggestions keep
 * levels and weights only.
 */
export function matchRecordOfCustomer(customer: CustomerRecord): MatchRecord {
  const { profile } = customer;
  const address = profile.address ?? undefined;
  const held = (type: 'EMAIL' | 'PHONE') => customer.identities.filter((identity) => identity.type === type).map((identity) => identity.value);
  const line = address?.line1 ? HOUSE_NUMBER.exec(address.line1) : null;
  return {
    id: customer.id,
    values: {
      firstName: profile.firstName,
      lastName: profile.lastName,
      birthDate: profile.birthDate,
      email: [...(profile.email ? [profile.email] : []), ...held('EMAIL')],
      phone: [...(profile.phone ? [profile.phone] : []), ...held('PHONE')],
      streetNumber: line?.[1],
      street: line ? line[2] : address?.line1,
      city: address?.city,
      postcode: address?.postalCode,
    },
  };
}
