import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';

/**
 * What `kubectl apply -k deploy/kubernetes` would apply, built the way
 * kustomize builds it for the fields the project's kustomization uses
 * (resources, namespace, configMapGenerator, images); any other field
 * throws, so a new one cannot go unchecked. No kustomize binary runs on the
 * machines that test this project.
 */
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
  readonly [field: string]: unknown;
}

interface Kustomization {
  readonly namespace?: string;
  readonly resources?: readonly string[];
  readonly labels?: unknown;
  readonly configMapGenerator?: ReadonlyArray<{ readonly name: string; readonly files: readonly string[] }>;
  readonly images?: ReadonlyArray<{ readonly name: string; readonly newName?: string; readonly newTag?: string }>;
}

const READ = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'labels', 'configMapGenerator', 'images']);

export interface Build {
  readonly manifests: readonly Manifest[];
  /** Each generated ConfigMap's files: key → the file it comes from (relative to the kustomization). */
  readonly generatedFiles: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export function kustomizeBuild(dir: string): Build {
  const kustomization = parseYaml(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as Kustomization;
  for (const field of Object.keys(kustomization)) if (!READ.has(field)) throw new Error(`kustomization.yaml: ${field} is not read by test/support/kustomize.ts`);
  const manifests: Manifest[] = (kustomization.resources ?? []).flatMap((file) =>
    parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((document) => {
      if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0]!.message}`);
      return document.toJS() as Manifest;
    }),
  );
  const generatedFiles: Record<string, Record<string, string>> = {};
  for (const generator of kustomization.configMapGenerator ?? []) {
    const files = Object.fromEntries(
      generator.files.map((entry) => {
        const [key, file] = entry.includes('=') ? (entry.split('=') as [string, string]) : [entry.split('/').at(-1)!, entry];
        return [key, file];
      }),
    );
    generatedFiles[generator.name] = files;
    manifests.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: generator.name },
      data: Object.fromEntries(Object.entries(files).map(([key, file]) => [key, readFileSync(join(dir, file), 'utf8')])),
    });
  }
  const images = new Map((kustomization.images ?? []).map((image) => [image.name, image]));
  const built = manifests.map((manifest) => {
    const namespaced = manifest.kind === 'Namespace' || !kustomization.namespace ? manifest : { ...manifest, metadata: { ...manifest.metadata, namespace: kustomization.namespace } };
    return replaceImages(namespaced, images);
  });
  return { manifests: built, generatedFiles };
}

function replaceImages(manifest: Manifest, images: ReadonlyMap<string, { newName?: string; newTag?: string }>): Manifest {
  const text = JSON.stringify(manifest, (key, value: unknown) => {
    if (key !== 'image' || typeof value !== 'string') return value;
    const image = images.get(value);
    return image ? `${image.newName ?? value}:${image.newTag ?? 'latest'}` : value;
  });
  return JSON.parse(text) as Manifest;
}

export function find<T = Manifest>(manifests: readonly Manifest[], kind: string): T {
  const found = manifests.filter((manifest) => manifest.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0] as T;
}
