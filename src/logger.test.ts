import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, requestLoggerFactory } from './logger.js';

function capture(level: string) {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const logger = createLogger(level, destination);
  let children = 0;
  // pino's children inherit this property: each counts, and makes its own children.
  const child = logger.child;
  logger.child = function (this: typeof logger, ...args: Parameters<typeof child>) {
    children++;
    return child.apply(this, args);
  } as typeof logger.child;
  return { logger, lines, children: () => children };
}

describe("each request's logger (Fastify's request.log)", () => {
  it('writes the lines pino’s child would, bound to the request id, and makes the child once, on the first line', () => {
    const { logger, lines, children } = capture('info');
    const log = requestLoggerFactory(logger, { reqId: 'r-1' }, {});
    expect(children()).toBe(0);
    log.info({ route: '/graphql', status: 200 }, 'request completed');
    log.error('second');
    expect(children()).toBe(1);
    expect(lines.map(({ time: _time, ...line }) => line)).toEqual([
      { level: 'info', service: 'c360', reqId: 'r-1', route: '/graphql', status: 200, msg: 'request completed' },
      { level: 'error', service: 'c360', reqId: 'r-1', msg: 'second' },
    ]);
  });

  it('makes no child for lines below the level, and answers the level without one', () => {
    const { logger, lines, children } = capture('warn');
    const log = requestLoggerFactory(logger, { reqId: 'r-2' }, {});
    log.info('not written');
    log.debug('not written');
    expect(log.level).toBe('warn');
    expect(log.isLevelEnabled('info')).toBe(false);
    expect(children()).toBe(0);
    expect(lines).toEqual([]);
    log.warn('written');
    expect(lines.map((line) => [line.reqId, line.msg])).toEqual([['r-2', 'written']]);
  });

  it('keeps a level given for the route, and its own children carry both bindings', () => {
    const { logger, lines } = capture('warn');
    const log = requestLoggerFactory(logger, { reqId: 'r-3' }, { level: 'debug' });
    expect(log.level).toBe('debug');
    log.debug('route level');
    log.child({ step: 'inner' }).info('from a child');
    expect(lines.map((line) => [line.reqId, line.step, line.msg])).toEqual([
      ['r-3', undefined, 'route level'],
      ['r-3', 'inner', 'from a child'],
    ]);
  });

  it('redacts credentials as the gateway logger does', () => {
    const { logger, lines } = capture('info');
    requestLoggerFactory(logger, { reqId: 'r-4' }, {}).info({ headers: { 'x-api-key': 'c360_secret' } }, 'headers');
    expect(lines[0]?.headers).toEqual({ 'x-api-key': '[redacted]' });
  });
});
