import { describe, expect, it } from 'vitest';
import type { CustomerRecord, IdentityLogEntry } from '../domain/index.js';
import { buildIdentityGraph, linkPath } from './graphView.js';
import { customerRecord } from '../../test/support/records.js';

const identity = (key: string, firstSeenAt: string) => {
  const [type, value] = key.split('#') as [CustomerRecord['identities'][number]['type'], string];
  return { type, value, source: 's', firstSeenAt, lastSeenAt: firstSeenAt };
};
const customer = (identities: ReturnType<typeof identity>[]): CustomerRecord => customerRecord('S', { identities });
const entry = (at: string, fields: Partial<IdentityLogEntry> & Pick<IdentityLogEntry, 'kind' | 'rule' | 'identityKeys'>): IdentityLogEntry => ({
  customerId: 'S',
  id: at,
  at: `2026-11-0${at}T00:00:00.000Z`,
  principal: 'p',
  traceId: 't',
  ...fields,
});

describe('buildIdentityGraph', () => {
  const record = customer([
    identity('USER_ID#u', '2026-11-01T00:00:00.000Z'),
    identity('EMAIL#e', '2026-11-01T00:00:00.000Z'),
    identity('DEVICE_ID#d', '2026-11-02T00:00:00.000Z'),
    identity('PHONE#p', '2026-11-03T00:00:00.000Z'),
    identity('CRM_ID#c', '2026-11-04T00:00:00.000Z'),
  ]);
  const logs = new Map([
    [
      'S',
      [
        entry('1', { kind: 'create', rule: 'new-identifier', identityKeys: ['USER_ID#u'] }),
        entry('1', { kind: 'link', rule: 'exact-match', identityKeys: ['EMAIL#e'], anchorKey: 'USER_ID#u' }),
        entry('5', { kind: 'link', rule: 'exact-match', identityKeys: ['USER_ID#u', 'EMAIL#e'], anchorKey: 'EMAIL#e' }),
        entry('3', { kind: 'merge', rule: 'priority:EMAIL', identityKeys: ['DEVICE_ID#d', 'PHONE#p'], anchorKey: 'EMAIL#e', otherKey: 'DEVICE_ID#d' }),
        entry('4', { kind: 'link', rule: 'exact-match', identityKeys: ['ANONYMOUS_ID#gone'], anchorKey: 'PHONE#p' }),
      ],
    ],
    ['A', [entry('2', { customerId: 'A', kind: 'link', rule: 'exact-match', identityKeys: ['PHONE#p'], anchorKey: 'DEVICE_ID#d' })]],
  ]);
  const graph = buildIdentityGraph(record, logs);

  it('keeps the earliest edge per pair between identifiers the customer holds, and joins the rest by RECORD edges from the first', () => {
    expect(graph.edges.map(({ from, to, kind, rule, at }) => ({ from, to, kind, rule, at: at.slice(0, 10) }))).toEqual([
      { from: 'n1', to: 'n2', kind: 'LINK', rule: 'exact-match', at: '2026-11-01' },
      { from: 'n3', to: 'n4', kind: 'LINK', rule: 'exact-match', at: '2026-11-02' },
      { from: 'n2', to: 'n3', kind: 'MERGE', rule: 'priority:EMAIL', at: '2026-11-03' },
      { from: 'n1', to: 'n5', kind: 'RECORD', rule: 'same-record', at: '2026-11-04' },
    ]);
  });

  it('finds the shortest chain between two identifiers, and none for one the customer does not hold', () => {
    expect(linkPath(graph, 'USER_ID#u', 'PHONE#p')?.edges.map((edge) => edge.kind)).toEqual(['LINK', 'MERGE', 'LINK']);
    expect(linkPath(graph, 'PHONE#p', 'USER_ID#u')?.nodes.map((node) => node.key)).toEqual(['PHONE#p', 'DEVICE_ID#d', 'EMAIL#e', 'USER_ID#u']);
    expect(linkPath(graph, 'USER_ID#u', 'USER_ID#u')).toEqual({ nodes: [graph.nodes[0]], edges: [] });
    expect(linkPath(graph, 'USER_ID#u', 'ANONYMOUS_ID#gone')).toBeNull();
  });
});
