import Fastify from 'fastify';
import { benchPort, readCaptures } from '../lib/captures.js';

/**
 * Baseline: a bare Fastify route per scenario that answers the gateway's
 * captured response bytes. It still parses the JSON request body, as the
 * gateway must: the floor of HTTP and JSON on this machine.
 */
const captures = readCaptures();
const app = Fastify({ logger: false });
app.get('/healthz', async () => ({ status: 'ok' }));
for (const [scenario, capture] of Object.entries(captures)) {
  const bytes = Buffer.from(capture.body);
  app.post(`/route/${scenario}`, async (_request, reply) => reply.header('content-type', 'application/json; charset=utf-8').send(bytes));
}
await app.listen({ host: '127.0.0.1', port: benchPort() });
