import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTables, tableDefinitions, tableNames } from '../connectors/singleview/tables.js';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintApiKey } from '../src/auth/apiKeys.js';
import { envSchema, loadConfig } from '../src/config.js';
import { startEmbeddedDynamo } from '../src/embedded/dynalite.js';
import type { EmbeddedDynamo } from '../src/embedded/dynalite.js';
import { readDockerfile } from './support/dockerfile.js';
import { startTestGateway, withoutTraceId } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';
import { find, kustomizeBuild } from './support/kustomize.js';
import type { Manifest } from './support/kustomize.js';
import { ROOT } from './support/process.js';

/**
 * deploy/kubernetes agrees with the code: the environment it sets is one the
 * gateway's own configuration loader accepts (and names only variables the
 * loader knows), the probes and ports are ones the gateway serves, the
 * mounted files are where the configuration points and hold what the
 * gateway loads, and the shutdown timings fit together. Then the gateway is
 * started with that environment (DynamoDB on a local dynalite, the mounted
 * files in a temporary directory) and its probes are asked.
 */
const DIR = join(ROOT, 'deploy', 'kubernetes');
const { manifests, generatedFiles } = kustomizeBuild(DIR);

interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: { readonly secretKeyRef?: { readonly name: string; readonly key: string } };
}
interface Probe {
  readonly httpGet: { readonly path: string; readonly port: string | number };
  readonly timeoutSeconds: number;
}
interface Container {
  readonly name: string;
  readonly image: string;
  readonly ports: ReadonlyArray<{ readonly name: string; readonly containerPort: number }>;
  readonly env: readonly EnvVar[];
  readonly readinessProbe: Probe;
  readonly livenessProbe: Probe;
  readonly startupProbe?: Probe;
  readonly lifecycle: { readonly preStop: { readonly exec: { readonly command: readonly string[] } } };
  readonly resources: { readonly requests: Record<string, string>; readonly limits: Record<string, string> };
  readonly securityContext: Record<string, unknown>;
  readonly volumeMounts: ReadonlyArray<{ readonly name: string; readonly mountPath: string; readonly readOnly?: boolean }>;
}
interface PodSpec {
  readonly serviceAccountName: string;
  readonly terminationGracePeriodSeconds: number;
  readonly securityContext: Record<string, unknown>;
  readonly containers: readonly Container[];
  readonly volumes: ReadonlyArray<{ readonly name: string; readonly configMap?: { readonly name: string }; readonly emptyDir?: unknown }>;
}
type Deployment = Manifest & {
  readonly spec: {
    readonly replicas: number;
    readonly selector: { readonly matchLabels: Record<string, string> };
    readonly template: { readonly metadata: { readonly labels: Record<string, string>; readonly annotations?: Record<string, string> }; readonly spec: PodSpec };
  };
};

const deployment = find<Deployment>(manifests, 'Deployment');
const pod = deployment.spec.template.spec;
const container = pod.containers[0]!;
const env = container.env;
const plain = Object.fromEntries(env.filter((v) => v.value !== undefined).map((v) => [v.name, v.value!]));
const secretRefs = env.filter((v) => v.valueFrom?.secretKeyRef).map((v) => ({ variable: v.name, ...v.valueFrom!.secretKeyRef! }));

/** A value a secret could hold, for each variable read from one (strong enough for the loader's checks). */
function secretValue(variable: string): string {
  if (variable === 'C360_MONGODB_URL') return 'mongodb://c360:secret@127.0.0.1:9/crm';
  // As docs/deploy.md makes them: openssl rand -base64 32 for the token secret, -hex 32 for the pseudonym key.
  return randomBytes(32).toString(variable === 'C360_JWT_SECRET' ? 'base64' : 'hex');
}

function fullEnv(): Record<string, string> {
  return { ...plain, ...Object.fromEntries(secretRefs.map((ref) => [ref.variable, secretValue(ref.variable)])) };
}

const millis = (name: string) => Number(plain[name]);

describe('deploy/kubernetes, read', () => {
  it('has the objects a three-replica deployment needs, in one namespace', () => {
    expect(manifests.map((m) => m.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'Namespace', 'PodDisruptionBudget', 'Service', 'ServiceAccount']);
    const namespace = find(manifests, 'Namespace').metadata.name;
    for (const manifest of manifests.filter((m) => m.kind !== 'Namespace')) expect(manifest.metadata.namespace, manifest.kind).toBe(namespace);
    expect(deployment.spec.replicas).toBe(3);
  });

  it('names only variables the configuration knows, each once', () => {
    const known = Object.keys(envSchema.shape);
    expect(env.map((v) => v.name).filter((name) => !known.includes(name))).toEqual([]);
    expect(new Set(env.map((v) => v.name)).size).toBe(env.length);
  });

  it('is a configuration the loader accepts: production adapters on, demo mode off, every interface', () => {
    const config = loadConfig(fullEnv());
    expect(config.embedded).toBe(false);
    expect(config.demo.enabled).toBe(false);
    expect(config.host).toBe('0.0.0.0');
    expect(config.dynamodb).toMatchObject({ endpoint: plain.C360_DYNAMODB_ENDPOINT, region: plain.AWS_REGION, localCredentials: false });
    expect(config.mongodb?.database).toBe(plain.C360_MONGODB_DATABASE);
    expect(config.loyaltyUrl).toBe(plain.C360_LOYALTY_URL);
    expect(config.hardening.rateLimitStore).toBe('dynamodb');
    expect(config.tokens.secret).toBeDefined();
    expect(config.pseudonymKey).toBeDefined();
  });

  it('takes every secret from the c360-secrets Secret that docs/deploy.md tells how to create', () => {
    expect(secretRefs.map((ref) => ref.name)).toEqual(secretRefs.map(() => 'c360-secrets'));
    const docs = readFileSync(join(ROOT, 'docs', 'deploy.md'), 'utf8');
    const command = /kubectl -n c360 create secret generic c360-secrets(?:[^\n]*\\\n)*[^\n]*/.exec(docs)?.[0] ?? '';
    const documented = [...command.matchAll(/--from-literal=([a-z-]+)=/g)].map((match) => match[1]);
    expect(documented.sort()).toEqual(secretRefs.map((ref) => ref.key).sort());
  });

  it('listens on the port it names, probes /readyz and /healthz on it, and the Service sends traffic there', () => {
    const port = container.ports.find((p) => p.name === 'http')!;
    expect(port.containerPort).toBe(Number(plain.C360_PORT));
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.startupProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
    const service = find<Manifest & { spec: { selector: Record<string, string>; ports: Array<{ targetPort: string }> } }>(manifests, 'Service');
    expect(service.spec.ports.map((p) => p.targetPort)).toEqual(['http']);
    expect(deployment.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    expect(deployment.spec.template.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);
  });

  it('serves /metrics on a named port of its own, where the Prometheus scrape annotations point, and keeps it out of the Service', () => {
    const metrics = container.ports.find((p) => p.name === 'metrics');
    expect(metrics?.containerPort).toBe(Number(plain.C360_METRICS_PORT));
    expect(metrics?.containerPort).not.toBe(Number(plain.C360_PORT));
    expect(loadConfig(fullEnv()).metrics).toEqual({ host: '0.0.0.0', port: metrics?.containerPort });
    expect(deployment.spec.template.metadata.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(metrics?.containerPort),
      'prometheus.io/path': '/metrics',
    });
    const service = find<Manifest & { spec: { ports: Array<{ targetPort: string }> } }>(manifests, 'Service');
    expect(service.spec.ports.map((p) => p.targetPort)).not.toContain('metrics');
  });

  it('gives the pod time to finish: preStop sleep + C360_SHUTDOWN_GRACE_MS fit in terminationGracePeriodSeconds, the 503 delay inside the grace, probes outwait the source checks', () => {
    const [sleep, seconds, ...rest] = container.lifecycle.preStop.exec.command;
    expect([sleep, rest]).toEqual(['sleep', []]);
    const preStopMs = Number(seconds) * 1000;
    expect(preStopMs).toBeGreaterThan(0);
    expect(millis('C360_SHUTDOWN_DELAY_MS')).toBeLessThan(millis('C360_SHUTDOWN_GRACE_MS'));
    // At least 2 s to spare: kubelet's SIGKILL must never cut the drain short.
    expect(preStopMs + millis('C360_SHUTDOWN_GRACE_MS') + 2000).toBeLessThanOrEqual(pod.terminationGracePeriodSeconds * 1000);
    // The probe waits longer than the gateway's own source checks, so a slow source reads as 503, not as a probe timeout.
    expect(container.readinessProbe.timeoutSeconds * 1000).toBeGreaterThan(millis('C360_READINESS_TIMEOUT_MS'));
  });

  it('mounts each file the configuration points at, from the generated ConfigMap, holding the shipped defaults', () => {
    const fileVariables = Object.entries(plain).filter(([name]) => name.endsWith('_FILE'));
    expect(fileVariables.map(([name]) => name).sort()).toEqual(['C360_POLICY_FILE', 'C360_SEGMENTS_FILE', 'C360_TRACKING_PLAN_FILE', 'C360_TRUSTED_DOCUMENTS_FILE']);
    for (const [name, path] of fileVariables) {
      const mount = container.volumeMounts.find((m) => m.mountPath === posix.dirname(path));
      expect(mount, `${name}: nothing is mounted at ${posix.dirname(path)}`).toBeDefined();
      const volume = pod.volumes.find((v) => v.name === mount!.name)!;
      const files = generatedFiles[volume.configMap!.name]!;
      const source = files[posix.basename(path)];
      expect(source, `${name}: ${posix.basename(path)} is not in ConfigMap ${volume.configMap!.name}`).toBeDefined();
      const shipped = join('config', posix.basename(path));
      expect(readFileSync(join(DIR, source!), 'utf8'), `deploy/kubernetes/${source} differs from ${shipped}: cp ${shipped} deploy/kubernetes/${source}`).toBe(
        readFileSync(join(ROOT, shipped), 'utf8'),
      );
    }
  });

  it('runs as the image\'s non-root user with a read-only root file system, a writable /tmp, requests and limits', () => {
    const user = readDockerfile(ROOT).dockerfile.stages.at(-1)!.instructions.filter((i) => i.keyword === 'USER').at(-1)!.args;
    expect(`${String(pod.securityContext.runAsUser)}:${String(pod.securityContext.runAsGroup)}`).toBe(user);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    const tmp = container.volumeMounts.find((m) => m.mountPath === '/tmp')!;
    expect(pod.volumes.find((v) => v.name === tmp.name)?.emptyDir).toBeDefined();
    expect(Object.keys(container.resources.requests).sort()).toEqual(['cpu', 'memory']);
    expect(Object.keys(container.resources.limits).sort()).toEqual(['cpu', 'memory']);
  });

  it('runs the image the Dockerfile builds, at the package version, under a service account with an IAM role', () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    expect(container.image).toBe(`registry.example.com/c360:${version}`);
    const account = find(manifests, 'ServiceAccount');
    expect(pod.serviceAccountName).toBe(account.metadata.name);
    expect(account.metadata.annotations?.['eks.amazonaws.com/role-arn']).toMatch(/^arn:aws:iam::\d{12}:role\/.+$/);
  });

  it('keeps two of three replicas through a disruption and scales out from three', () => {
    const pdb = find<Manifest & { spec: { maxUnavailable: number; selector: { matchLabels: Record<string, string> } } }>(manifests, 'PodDisruptionBudget');
    expect(pdb.spec.maxUnavailable).toBe(1);
    expect(deployment.spec.template.metadata.labels).toMatchObject(pdb.spec.selector.matchLabels);
    const hpa = find<Manifest & { spec: { scaleTargetRef: { kind: string; name: string }; minReplicas: number; maxReplicas: number } }>(manifests, 'HorizontalPodAutoscaler');
    expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: deployment.metadata.name });
    expect(hpa.spec.minReplicas).toBe(deployment.spec.replicas);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
  });
});

describe('the gateway started with deploy/kubernetes\'s environment', () => {
  let dynamo: EmbeddedDynamo;
  let gw: TestGateway;
  const mounted = mkdtempSync(join(tmpdir(), 'c360-k8s-'));

  beforeAll(async () => {
    dynamo = await startEmbeddedDynamo(undefined);
    // The ConfigMap's files, where the volume mounts them (under a temporary root).
    const configMaps = manifests.filter((m) => m.kind === 'ConfigMap') as Array<Manifest & { data: Record<string, string> }>;
    const placed: Record<string, string> = {};
    for (const mount of container.volumeMounts) {
      const volume = pod.volumes.find((v) => v.name === mount.name)!;
      if (!volume.configMap) continue;
      const data = configMaps.find((m) => m.metadata.name === volume.configMap!.name)!.data;
      for (const [key, text] of Object.entries(data)) {
        const path = join(mounted, mount.mountPath, key);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, text);
        placed[posix.join(mount.mountPath, key)] = path;
      }
    }
    const environment = fullEnv();
    for (const [name, value] of Object.entries(environment)) if (name.endsWith('_FILE')) environment[name] = placed[value]!;
    // The tables, as an administrator creates them from deploy/aws/cloudformation.yaml: the pods only check them.
    expect(environment.C360_CREATE_TABLES).toBe('false');
    const admin = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'admin', secretAccessKey: 'admin' } });
    await ensureTables(admin, tableDefinitions(tableNames(environment.C360_DYNAMODB_TABLE_PREFIX!)));
    admin.destroy();
    gw = await startTestGateway({
      ...environment,
      // Places, not behaviour: a free port, DynamoDB on a local dynalite, and the
      // loyalty service at a closed port (an optional source, down like the CRM).
      C360_PORT: '0',
      C360_METRICS_PORT: '0',
      C360_DYNAMODB_ENDPOINT: dynamo.endpoint,
      C360_LOYALTY_URL: 'http://127.0.0.1:9',
    });
  });
  afterAll(async () => {
    await gw?.close();
    await dynamo?.close();
    rmSync(mounted, { recursive: true, force: true });
  });

  it('answers the readiness probe (required sources up; the CRM and loyalty, optional, are down here) and the liveness probe', async () => {
    const ready = await fetch(`${gw.url}${container.readinessProbe.httpGet.path}`);
    expect({ status: ready.status, body: await ready.json() }).toEqual({ status: 200, body: { status: 'ready', down: ['crm', 'loyalty'] } });
    const live = await fetch(`${gw.url}${container.livenessProbe.httpGet.path}`);
    expect(live.status).toBe(200);
  });

  it('serves /metrics on the metrics listener the annotations name, and not on the public port', async () => {
    const metrics = await fetch(`${gw.gateway.metrics!.url!}${deployment.spec.template.metadata.annotations!['prometheus.io/path']!}`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('# TYPE c360_graphql_requests_total counter');
    expect((await fetch(`${gw.url}/metrics`)).status).toBe(404);
  });

  it('runs a query with an API key created in the single view, and has no demo keys', async () => {
    const minted = mintApiKey({ clientName: 'Catalog', scopes: ['segments:read'], purposes: [] });
    await gw.gateway.services.sources.singleView.putApiKey(minted.record);
    const ask = async (key: string) => {
      const response = await fetch(`${gw.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key },
        body: JSON.stringify({ query: '{ segments { id } }' }),
      });
      return { status: response.status, body: withoutTraceId((await response.json()) as { extensions?: Record<string, unknown> }) };
    };
    const segments = (JSON.parse(readFileSync(join(ROOT, 'config', 'segments.json'), 'utf8')) as { segments: Array<{ id: string }> }).segments;
    expect(await ask(minted.key)).toEqual({ status: 200, body: { data: { segments: segments.map((s) => ({ id: s.id })) } } });
    expect((await ask('c360_demo_support')).status).toBe(401);
  });
});
