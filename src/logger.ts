import pino from 'pino';
import type { DestinationStream, Logger, LoggerOptions } from 'pino';

/**
 * Structured JSON logs. Nothing here logs a request body, a variable or a
 * response: those hold personal data. Credentials in headers are redacted
 * in case a header object is ever logged.
 */
export function createLogger(level: LoggerOptions['level'], destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'c360' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['headers.authorization', 'headers["x-api-key"]', 'req.headers.authorization', 'req.headers["x-api-key"]'], censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}
