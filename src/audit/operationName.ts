import { GraphQLError } from 'graphql';
import { ErrorCode } from '../errors.js';
import type { RequestCheck } from '../hardening/checks.js';
import { refusal } from '../hardening/refusals.js';
import { MAX_OPERATION_LENGTH } from './records.js';

/**
 * The operation name goes into every audit record of the request, so it is
 * bounded: a name over MAX_OPERATION_LENGTH characters is refused with HTTP
 * 400 BAD_USER_INPUT before anything runs (a 90 KB name would otherwise ride
 * into every record of the request, and into the store's write batches).
 */
export function checkOperationName(name: string | null | undefined): void {
  if (typeof name === 'string' && name.length > MAX_OPERATION_LENGTH) {
    throw new GraphQLError(`The operation name is longer than ${MAX_OPERATION_LENGTH} characters; use a shorter name.`, {
      extensions: { code: ErrorCode.BAD_USER_INPUT, field: 'operationName', http: { status: 400 } },
    });
  }
}

export function operationNameCheck(): RequestCheck {
  return {
    // Named in the request body: refused before parsing (see src/hardening/refusals.ts for how it is answered).
    request({ request }) {
      try {
        checkOperationName(request.operationName);
      } catch (error) {
        throw refusal(error as GraphQLError);
      }
    },
    // Named only in the document.
    operation({ operation }) {
      checkOperationName(operation?.name?.value);
    },
  };
}
