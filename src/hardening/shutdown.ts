import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ErrorCode, safeErrorDetail } from '../errors.js';

/**
 * While the gateway drains after SIGTERM, a request that still arrives (on a
 * keep-alive connection that was busy when the listener closed) is answered
 * 503 SHUTTING_DOWN with `Retry-After`, and every response closes its
 * connection, so clients move to another instance and the process can exit.
 * Fastify's own 503 (return503OnClosing) is off: its body is not GraphQL.
 */
export class Drain {
  private draining = false;

  get active(): boolean {
    return this.draining;
  }

  begin(): void {
    this.draining = true;
  }

  register(app: FastifyInstance): void {
    // Callback hooks: an async one costs every request a promise and a microtask turn.
    app.addHook('onRequest', (_request, reply, done) => {
      if (!this.draining) {
        done();
        return;
      }
      // Answering from a callback hook ends the request here: `done` is not called.
      reply
        .code(503)
        .headers({ 'retry-after': '1', connection: 'close' })
        .send({ errors: [{ message: 'The gateway is shutting down; retry the request.', extensions: { code: ErrorCode.SHUTTING_DOWN } }] });
    });
    app.addHook('onSend', (_request, reply, payload, done) => {
      if (this.draining) reply.header('connection', 'close');
      done(null, payload);
    });
  }
}

/**
 * Work to finish once the last request has been answered and before the
 * sources close: e.g. the audit writer flushing records it still holds.
 * Each hook runs once, in registration order; one failing does not stop the
 * others, and the process-wide grace period (C360_SHUTDOWN_GRACE_MS) bounds them.
 */
export class ShutdownHooks {
  private readonly hooks: Array<{ readonly name: string; readonly run: () => Promise<void> }> = [];

  register(name: string, run: () => Promise<void>): void {
    this.hooks.push({ name, run });
  }

  async run(logger: Logger): Promise<void> {
    for (const hook of this.hooks.splice(0)) {
      try {
        await hook.run();
        logger.info({ hook: hook.name }, 'shutdown hook finished');
      } catch (error) {
        logger.error({ hook: hook.name, err: safeErrorDetail(error) }, 'shutdown hook failed');
      }
    }
  }
}
