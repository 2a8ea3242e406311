import { createServer } from 'node:http';
import { generateDemoData } from '../../src/embedded/demoData.js';
import { benchPort } from '../lib/captures.js';

/**
 * A loyalty service on the HTTP contract (docs/loyalty-api.md) over the demo
 * data that flaps, for the soak: up for BENCH_FLAP_UP_S seconds, then
 * answering 503 for BENCH_FLAP_DOWN_S seconds, and again.
 */
const up = Number(process.env.BENCH_FLAP_UP_S ?? 20) * 1000;
const down = Number(process.env.BENCH_FLAP_DOWN_S ?? 10) * 1000;
const members = new Map(generateDemoData({ customers: 1000, seed: 360 }).loyalty.map((member) => [member.memberId, member]));
const started = Date.now();
const isUp = () => (Date.now() - started) % (up + down) < up;

createServer((request, response) => {
  const url = new URL(request.url ?? '/', 'http://loyalty');
  if (url.pathname === '/healthz') return void response.writeHead(200).end('{"status":"ok"}');
  if (!isUp()) return void response.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"flapping"}');
  if (url.pathname === '/health') return void response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
  const ids = (url.searchParams.get('ids') ?? '').split(',').filter(Boolean);
  const found = ids.flatMap((id) => (members.has(id) ? [members.get(id)] : []));
  response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ members: found }));
}).listen(benchPort(), '127.0.0.1');
