import type { GatewayConfig, SourceName } from './config.js';

/** The variable that points each source at its production system, named in start-up messages instead of its value. */
export function sourceVariable(source: SourceName, config?: Pick<GatewayConfig, 'resolution'>): string {
  switch (source) {
    case 'singleview':
      return 'C360_DYNAMODB_ENDPOINT';
    case 'crm':
      return 'C360_MONGODB_URL';
    case 'loyalty':
      return 'C360_LOYALTY_URL';
    case 'resolution':
      return config?.resolution.adapter === 'aws-entity-resolution' ? 'C360_AWS_ER_WORKFLOW' : 'C360_RESOLUTION_URL';
  }
}

/**
 * A source the gateway cannot start without. The message names the source
 * and the variable to check, never the variable's value: a connection
 * string can hold a password.
 */
export class SourceStartError extends Error {
  override readonly name = 'SourceStartError';

  static cannotOpen(source: SourceName, cause: unknown, config?: Pick<GatewayConfig, 'resolution'>): SourceStartError {
    return new SourceStartError(`The ${source} source could not be opened (${summary(cause)}); check ${sourceVariable(source, config)} and docs/configuration.md.`);
  }
}

/** The error's class and code only: a driver's message can quote the connection string. */
function summary(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown failure';
  // An error that says its message holds no secret (TablesNotReadyError names tables).
  const detail = (error as { startDetail?: unknown }).startDetail;
  if (typeof detail === 'string') return detail;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${error.name} ${code}` : error.name;
}
