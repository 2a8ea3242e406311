import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_RETENTION } from '../connectors/singleview/retention.js';

/**
 * `npm run capacity -- --customers 20000000 --reads-per-second 5000 --tracks-per-second 20000 …`:
 * DynamoDB calls, read and write units, the hottest keys and the monthly
 * on-demand cost of a workload, from the calls and capacity units one
 * request of each type costs — measured by test/capacity.test.ts through
 * the real gateway on dynalite and kept in bench/capacity/profile.json — and
 * the prices given (defaults below; docs/capacity.md).
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const PROFILE_FILE = join(ROOT, 'bench', 'capacity', 'profile.json');

/** One DynamoDB call of a request: its command, tables and capacity units (read or write). */
export interface MeasuredCall {
  readonly command: string;
  readonly tables: readonly string[];
  readonly units: number;
  readonly read: boolean;
}

export interface CapacityProfile {
  readonly requests: { readonly fullRead: readonly MeasuredCall[]; readonly track: readonly MeasuredCall[] };
  /** Median item sizes (bytes, DynamoDB's rules) in the measured single view. */
  readonly itemBytes: { readonly customer: number; readonly identity: number; readonly event: number; readonly audit: number };
}

/** DynamoDB's limits per partition (one partition key's items live in one partition, at least until split). */
export const PARTITION_WRITE_UNITS = 1_000;
export const PARTITION_READ_UNITS = 3_000;
const DAYS_PER_MONTH = 30;
const GB = 1024 ** 3;

export interface Workload {
  readonly customers: number;
  readonly readsPerSecond: number;
  readonly tracksPerSecond: number;
  readonly identifiersPerCustomer: number;
  readonly eventsPerCustomer: number;
  /** One partner's requests per second on one API key, and the gateway instances they spread over. */
  readonly partnerRequestsPerSecond: number;
  readonly instances: number;
  readonly leaseMs: number;
  /** The busiest single customer: events and full reads per second (a bot, a shared device). */
  readonly hotCustomerEventsPerSecond: number;
  readonly hotCustomerReadsPerSecond: number;
  /** Hours a day at the rates above; the rest of the day costs nothing here (24 = the peak all month). */
  readonly peakHoursPerDay: number;
  readonly auditRetentionDays: number;
  readonly idempotencyRetentionDays: number;
  /** USD: per million write request units, per million read request units, per GB-month stored, per GB-month of PITR. */
  readonly writePrice: number;
  readonly readPrice: number;
  readonly storagePrice: number;
  readonly pitrPrice: number;
}

/** AWS on-demand list prices, us-east-1, standard table class (since November 2024). */
export const DEFAULT_PRICES = { writePrice: 0.625, readPrice: 0.125, storagePrice: 0.25, pitrPrice: 0.2 } as const;

export const DEFAULT_WORKLOAD: Workload = {
  customers: 20_000_000,
  readsPerSecond: 5_000,
  tracksPerSecond: 20_000,
  identifiersPerCustomer: 3,
  eventsPerCustomer: 500,
  partnerRequestsPerSecond: 2_000,
  instances: 20,
  leaseMs: 1_000,
  hotCustomerEventsPerSecond: 100,
  hotCustomerReadsPerSecond: 50,
  peakHoursPerDay: 24,
  auditRetentionDays: DEFAULT_RETENTION.auditDays,
  idempotencyRetentionDays: DEFAULT_RETENTION.idempotencyDays,
  ...DEFAULT_PRICES,
};

export interface RequestLine {
  readonly name: string;
  readonly perSecond: number;
  readonly calls: string;
  readonly callsPerRequest: number;
  readonly readUnits: number;
  readonly writeUnits: number;
  readonly monthlyUsd: number;
}

export interface HotKey {
  readonly name: string;
  readonly key: string;
  readonly unitsPerSecond: number;
  readonly kind: 'write' | 'read';
  /** Share of one partition's limit (1,000 write or 3,000 read units per second). */
  readonly share: number;
}

export interface CapacityModel {
  readonly requests: readonly RequestLine[];
  readonly hotKeys: readonly HotKey[];
  readonly storage: { readonly gigabytes: number; readonly monthlyUsd: number; readonly parts: Readonly<Record<string, number>> };
  readonly monthlyUsd: number;
}

function unitsOf(calls: readonly MeasuredCall[], read: boolean, table?: string): number {
  return calls.filter((call) => call.read === read && (table === undefined || call.tables.includes(table))).reduce((sum, call) => sum + call.units, 0);
}

function describeCalls(calls: readonly MeasuredCall[]): string {
  return calls.map((call) => `${call.command} ${call.tables.join('+')} (${call.units} ${call.read ? 'RRU' : 'WRU'})`).join(', ');
}

export function capacityModel(profile: CapacityProfile, workload: Workload): CapacityModel {
  const secondsPerMonth = workload.peakHoursPerDay * 3_600 * DAYS_PER_MONTH;
  const requestCost = (readUnits: number, writeUnits: number) =>
    ((readUnits * workload.readPrice + writeUnits * workload.writePrice) / 1_000_000) * secondsPerMonth;
  const line = (name: string, perSecond: number, calls: readonly MeasuredCall[]): RequestLine => {
    const readUnits = unitsOf(calls, true) * perSecond;
    const writeUnits = unitsOf(calls, false) * perSecond;
    return { name, perSecond, calls: describeCalls(calls), callsPerRequest: calls.length, readUnits, writeUnits, monthlyUsd: requestCost(readUnits, writeUnits) };
  };
  // A busy principal costs each instance about one lease per leaseMs (src/ratelimit/rateLimiter.ts), never more than a write per request.
  const leaseWrites = Math.min(workload.partnerRequestsPerSecond, workload.instances * (1_000 / workload.leaseMs));
  const rateLimit: RequestLine = {
    name: 'rate-limit leases (the partner)',
    perSecond: workload.partnerRequestsPerSecond,
    calls: `UpdateItem rate_limits (1 WRU) per block, about one per instance per ${workload.leaseMs} ms`,
    callsPerRequest: leaseWrites / Math.max(1, workload.partnerRequestsPerSecond),
    readUnits: 0,
    writeUnits: leaseWrites,
    monthlyUsd: requestCost(0, leaseWrites),
  };
  const requests = [line('full customer read', workload.readsPerSecond, profile.requests.fullRead), line('track (known customer, idempotency key)', workload.tracksPerSecond, profile.requests.track), rateLimit];

  // A track writes the customer's activity item (connectors/singleview/customerActivity.ts), not the customer item.
  const trackCustomerWrite = unitsOf(profile.requests.track, false, 'customer_activity') + unitsOf(profile.requests.track, false, 'customers');
  const trackEventWrite = unitsOf(profile.requests.track, false, 'events');
  const readCustomer = unitsOf(profile.requests.fullRead, true, 'customers');
  const hotKeys: HotKey[] = [
    { name: 'rate-limit window of the partner', key: 'rate_limits: <principal>#<minute>', kind: 'write', unitsPerSecond: leaseWrites, share: leaseWrites / PARTITION_WRITE_UNITS },
    { name: 'busiest customer’s activity item (track)', key: 'customer_activity: <id>', kind: 'write', unitsPerSecond: workload.hotCustomerEventsPerSecond * trackCustomerWrite, share: (workload.hotCustomerEventsPerSecond * trackCustomerWrite) / PARTITION_WRITE_UNITS },
    { name: 'busiest customer’s timeline (track)', key: 'events: <customerId>', kind: 'write', unitsPerSecond: workload.hotCustomerEventsPerSecond * trackEventWrite, share: (workload.hotCustomerEventsPerSecond * trackEventWrite) / PARTITION_WRITE_UNITS },
    { name: 'busiest customer’s item (reads)', key: 'customers: <id>', kind: 'read', unitsPerSecond: workload.hotCustomerReadsPerSecond * readCustomer, share: (workload.hotCustomerReadsPerSecond * readCustomer) / PARTITION_READ_UNITS },
  ];

  const { itemBytes } = profile;
  const dailyReads = workload.readsPerSecond * workload.peakHoursPerDay * 3_600;
  const dailyTracks = workload.tracksPerSecond * workload.peakHoursPerDay * 3_600;
  const parts = {
    customers: (workload.customers * itemBytes.customer) / GB,
    identities: (workload.customers * workload.identifiersPerCustomer * itemBytes.identity) / GB,
    events: (workload.customers * workload.eventsPerCustomer * itemBytes.event) / GB,
    audit: (dailyReads * workload.auditRetentionDays * itemBytes.audit) / GB,
    idempotency: (dailyTracks * workload.idempotencyRetentionDays * 250) / GB,
  };
  const gigabytes = Object.values(parts).reduce((sum, value) => sum + value, 0);
  const storage = { gigabytes, parts, monthlyUsd: gigabytes * (workload.storagePrice + workload.pitrPrice) };
  const monthlyUsd = requests.reduce((sum, request) => sum + request.monthlyUsd, 0) + storage.monthlyUsd;
  return { requests, hotKeys, storage, monthlyUsd };
}

const usd = (value: number) => `USD ${Math.round(value).toLocaleString('en-US')}`;
const units = (value: number) => Math.round(value).toLocaleString('en-US');
const pct = (value: number) => `${(value * 100).toFixed(1)} %`;

export function report(model: CapacityModel, workload: Workload): string {
  const lines = [
    `Workload: ${workload.customers.toLocaleString('en-US')} customers, ${workload.identifiersPerCustomer} identifiers and ${workload.eventsPerCustomer} events each; ` +
      `${workload.readsPerSecond.toLocaleString('en-US')} full reads/s and ${workload.tracksPerSecond.toLocaleString('en-US')} tracks/s for ${workload.peakHoursPerDay} h a day; ` +
      `one partner at ${workload.partnerRequestsPerSecond.toLocaleString('en-US')} req/s over ${workload.instances} instances.`,
    `Prices (USD): ${workload.writePrice} per million write units, ${workload.readPrice} per million read units, ${workload.storagePrice} per GB-month, PITR ${workload.pitrPrice} per GB-month.`,
    '',
    '| request | per second | DynamoDB calls per request | read units/s | write units/s | per month |',
    '| --- | --- | --- | --- | --- | --- |',
    ...model.requests.map((r) => `| ${r.name} | ${units(r.perSecond)} | ${r.calls} | ${units(r.readUnits)} | ${units(r.writeUnits)} | ${usd(r.monthlyUsd)} |`),
    `| storage and PITR | | ${units(model.storage.gigabytes)} GB: ${Object.entries(model.storage.parts).map(([name, gb]) => `${name} ${units(gb)}`).join(', ')} | | | ${usd(model.storage.monthlyUsd)} |`,
    `| **total** | | | ${units(model.requests.reduce((s, r) => s + r.readUnits, 0))} | ${units(model.requests.reduce((s, r) => s + r.writeUnits, 0))} | **${usd(model.monthlyUsd)}** |`,
    '',
    '| hottest key | item | units/s | share of a partition’s limit |',
    '| --- | --- | --- | --- |',
    ...model.hotKeys.map((k) => `| ${k.name} | \`${k.key}\` | ${units(k.unitsPerSecond)} ${k.kind === 'write' ? 'WRU' : 'RRU'} | ${pct(k.share)} of ${k.kind === 'write' ? '1,000 WRU' : '3,000 RRU'} |`),
  ];
  return lines.join('\n');
}

const OPTIONS = {
  customers: 'customers',
  'reads-per-second': 'readsPerSecond',
  'tracks-per-second': 'tracksPerSecond',
  'identifiers-per-customer': 'identifiersPerCustomer',
  'events-per-customer': 'eventsPerCustomer',
  'partner-requests-per-second': 'partnerRequestsPerSecond',
  instances: 'instances',
  'lease-ms': 'leaseMs',
  'hot-customer-events-per-second': 'hotCustomerEventsPerSecond',
  'hot-customer-reads-per-second': 'hotCustomerReadsPerSecond',
  'peak-hours-per-day': 'peakHoursPerDay',
  'audit-retention-days': 'auditRetentionDays',
  'idempotency-retention-days': 'idempotencyRetentionDays',
  'write-price': 'writePrice',
  'read-price': 'readPrice',
  'storage-price': 'storagePrice',
  'pitr-price': 'pitrPrice',
} as const satisfies Record<string, keyof Workload>;

/** The workload from command-line options; a bad value is refused naming its option. */
export function workloadFrom(args: readonly string[]): { workload: Workload; json: boolean } {
  const { values } = parseArgs({
    args: [...args],
    options: { ...Object.fromEntries(Object.keys(OPTIONS).map((name) => [name, { type: 'string' as const }])), json: { type: 'boolean' } },
    strict: true,
  });
  const workload: Record<string, number> = { ...DEFAULT_WORKLOAD };
  for (const [option, field] of Object.entries(OPTIONS)) {
    const text = (values as Record<string, unknown>)[option];
    if (typeof text !== 'string') continue;
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0) throw new Error(`--${option}: expected a number ≥ 0`);
    workload[field] = value;
  }
  if (workload.peakHoursPerDay! > 24) throw new Error('--peak-hours-per-day: expected at most 24');
  if (workload.instances! < 1 || workload.leaseMs! <= 0) throw new Error('--instances and --lease-ms: expected at least 1');
  return { workload: workload as unknown as Workload, json: values.json === true };
}

function main(): void {
  let parsed;
  try {
    parsed = workloadFrom(process.argv.slice(2));
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(PROFILE_FILE, 'utf8')) as CapacityProfile;
  const model = capacityModel(profile, parsed.workload);
  console.log(parsed.json ? JSON.stringify({ workload: parsed.workload, ...model }, null, 2) : report(model, parsed.workload));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
