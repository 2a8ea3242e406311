import pino from 'pino';
import type { Bindings, ChildLoggerOptions, DestinationStream, Logger, LoggerOptions } from 'pino';

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

type LevelName = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * The logger Fastify hands each request (`request.log`), bound to its
 * request id: the same lines as pino's child, but the child is made on the
 * first line logged at an enabled level. Fastify makes one for every
 * request, and pino serializes a child's bindings as it makes it (about
 * 1 µs); at the levels production runs at, almost no request logs a line.
 */
class RequestLogger {
  #child: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {
    // A route with a log level of its own (rare) gets its child at once: until then the parent answers for the level.
    if (options.level !== undefined) this.made();
  }

  get level(): string {
    return (this.#child ?? this.parent).level;
  }

  set level(level: string) {
    this.made().level = level;
  }

  isLevelEnabled(level: string): boolean {
    return (this.#child ?? this.parent).isLevelEnabled(level);
  }

  fatal(...args: Parameters<Logger['fatal']>): void {
    this.write('fatal', args);
  }

  error(...args: Parameters<Logger['error']>): void {
    this.write('error', args);
  }

  warn(...args: Parameters<Logger['warn']>): void {
    this.write('warn', args);
  }

  info(...args: Parameters<Logger['info']>): void {
    this.write('info', args);
  }

  debug(...args: Parameters<Logger['debug']>): void {
    this.write('debug', args);
  }

  trace(...args: Parameters<Logger['trace']>): void {
    this.write('trace', args);
  }

  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.made().child(bindings, options);
  }

  private write(level: LevelName, args: Parameters<Logger['info']>): void {
    if (!this.isLevelEnabled(level)) return;
    (this.made()[level] as (...line: Parameters<Logger['info']>) => void)(...args);
  }

  private made(): Logger {
    return (this.#child ??= this.parent.child(this.bindings, this.options));
  }
}

/** Fastify's `childLoggerFactory`: each request's logger, made on its first line (RequestLogger). */
export function requestLoggerFactory(logger: Logger, bindings: Bindings, options: ChildLoggerOptions): Logger {
  return new RequestLogger(logger, bindings, options) as unknown as Logger;
}
