import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, withoutTraceId } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';

/**
 * The README's "Try it" examples are what a new user pastes first: each
 * curl command there is sent to a real gateway over HTTP, with the headers
 * and body it names, and must answer exactly the JSON printed under it
 * (the trace id aside, which is new each time).
 */
interface Example {
  readonly title: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly expected: Record<string, unknown>;
}

function readmeExamples(): Example[] {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const pattern = /```sh\n(curl -s http:\/\/127\.0\.0\.1:4000\/graphql[\s\S]*?)```\n\n```json\n([\s\S]*?)```/g;
  return [...readme.matchAll(pattern)].map((match) => {
    const command = match[1]!;
    const headers = Object.fromEntries([...command.matchAll(/-H '([^:]+): ([^']+)'/g)].map((h) => [h[1]!.toLowerCase(), h[2]!]));
    const body = /-d '([^']+)'/.exec(command)![1]!;
    return { title: `${headers['x-api-key']} ${headers['x-c360-purpose'] ?? '(no purpose)'}`, headers, body, expected: JSON.parse(match[2]!) };
  });
}

describe('README examples', () => {
  const examples = readmeExamples();
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway({ C360_RATE_LIMIT_PER_MINUTE: '0' });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('has the examples this test reads', () => {
    expect(examples.map((example) => example.title)).toEqual(['c360_demo_support support', 'c360_demo_marketing marketing']);
  });

  for (const example of examples) {
    it(`answers ${example.title} as printed`, async () => {
      const response = await fetch(`${gw.url}/graphql`, { method: 'POST', headers: example.headers, body: example.body });
      expect({ status: response.status, body: withoutTraceId(await response.json()) }).toEqual({ status: 200, body: withoutTraceId(example.expected) });
    });
  }
});
