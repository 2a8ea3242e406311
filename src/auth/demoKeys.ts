import type { Purpose } from '../domain/index.js';
import { SCOPES, READ_SCOPES } from './scopes.js';
import type { Scope } from './scopes.js';
import { PURPOSES } from '../domain/index.js';

/** The demo keys (README.md, docs/security.md); created only in embedded demo mode. */
export interface DemoKey {
  readonly key: string;
  readonly clientName: string;
  readonly scopes: readonly Scope[];
  readonly purposes: readonly Purpose[];
}

export const DEMO_KEYS: readonly DemoKey[] = [
  { key: 'c360_demo_support', clientName: 'Demo call centre', scopes: READ_SCOPES, purposes: ['SUPPORT', 'FRAUD'] },
  {
    key: 'c360_demo_marketing',
    clientName: 'Demo marketing partner',
    scopes: ['customer:read', 'segments:read', 'consent:read'],
    purposes: ['MARKETING', 'PERSONALIZATION'],
  },
  {
    key: 'c360_demo_analytics',
    clientName: 'Demo analytics',
    scopes: ['customer:read', 'events:read', 'segments:read'],
    purposes: ['ANALYTICS'],
  },
  {
    key: 'c360_demo_ingest',
    clientName: 'Demo ingestion',
    scopes: ['identity:write', 'events:write', 'consent:write'],
    purposes: [],
  },
  {
    key: 'c360_demo_admin',
    clientName: 'Demo admin',
    scopes: SCOPES,
    purposes: PURPOSES,
  },
];
