import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as models from 'kubernetes-models';
import { parseAllDocuments } from 'yaml';

/** One YAML document of deploy/k8s, with where it came from for the failure messages. */
export interface Manifest {
  readonly file: string;
  readonly index: number;
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string | undefined;
  readonly body: Record<string, unknown>;
}

/** A container of a workload, named as an operator reads it in `kubectl describe`. */
export interface WorkloadContainer {
  readonly where: string;
  readonly workload: Manifest;
  readonly container: Record<string, unknown>;
}

/** Kinds that run pods, and where their pod template is. */
const WORKLOAD_KINDS = new Set(['Deployment', 'DaemonSet', 'StatefulSet', 'Job']);

/**
 * Every YAML document of every *.yaml / *.yml file under `dir` (recursively); a YAML syntax error
 * or a document without apiVersion, kind and metadata.name throws, naming the file.
 *
 * @example
 * const manifests = readManifests('deploy/k8s'); // [{ file: 'control-plane.yaml', kind: 'Deployment', ... }, ...]
 */
export function readManifests(dir: string): Manifest[] {
  const out: Manifest[] = [];
  for (const path of yamlFiles(dir)) {
    const file = relative(dir, path);
    parseAllDocuments(readFileSync(path, 'utf8')).forEach((doc, index) => {
      if ('errors' in doc && doc.errors.length > 0) throw new Error(`${file} document ${index + 1}: ${doc.errors.map((e) => e.message).join('; ')}`);
      const body: unknown = doc.toJS();
      if (body === null || body === undefined) return; // an empty document (a trailing `---`)
      if (typeof body !== 'object' || Array.isArray(body)) throw new Error(`${file} document ${index + 1}: not a mapping`);
      const record = body as Record<string, unknown>;
      const metadata = record.metadata as Record<string, unknown> | undefined;
      const { apiVersion, kind } = record;
      if (typeof apiVersion !== 'string' || typeof kind !== 'string' || typeof metadata?.name !== 'string') {
        throw new Error(`${file} document ${index + 1}: needs apiVersion, kind and metadata.name`);
      }
      const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : undefined;
      out.push({ file, index, apiVersion, kind, name: metadata.name, namespace, body: record });
    });
  }
  return out;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(entry.name) ? [path] : [];
  });
}

type ModelClass = new (data: Record<string, unknown>) => { validate(): void };

/**
 * The kubernetes-models class for an apiVersion and kind (`apps/v1` Deployment →
 * `models.apps.v1.Deployment`; the core group `v1` → `models.v1`), undefined for a kind the
 * package does not know (a typo, or a custom resource this test cannot check).
 *
 * @example
 * modelFor('policy/v1', 'PodDisruptionBudget') // the PodDisruptionBudget class
 */
export function modelFor(apiVersion: string, kind: string): ModelClass | undefined {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
  // The package names a group by camel-casing its dots: rbac.authorization.k8s.io → rbacAuthorizationK8sIo.
  const groupKey = group === '' ? undefined : group!.replace(/\.([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
  const root = models as unknown as Record<string, Record<string, unknown> | undefined>;
  const versions = groupKey === undefined ? root : (root[groupKey] as Record<string, Record<string, unknown> | undefined> | undefined);
  const candidate = versions?.[version!]?.[kind];
  return typeof candidate === 'function' ? (candidate as ModelClass) : undefined;
}

/** The pod template's spec of a workload, undefined for other kinds. */
export function podSpec(m: Manifest): Record<string, unknown> | undefined {
  if (!WORKLOAD_KINDS.has(m.kind)) return undefined;
  const spec = m.body.spec as { template?: { spec?: Record<string, unknown> } } | undefined;
  return spec?.template?.spec;
}

/** The pod template's labels of a workload. */
export function podLabels(m: Manifest): Record<string, string> {
  const spec = m.body.spec as { template?: { metadata?: { labels?: Record<string, string> } } } | undefined;
  return spec?.template?.metadata?.labels ?? {};
}

/** Every container and init container of every workload. */
export function containers(manifests: readonly Manifest[]): WorkloadContainer[] {
  return manifests.flatMap((workload) => {
    const spec = podSpec(workload);
    if (!spec) return [];
    const all = [...((spec.initContainers as Record<string, unknown>[] | undefined) ?? []), ...((spec.containers as Record<string, unknown>[] | undefined) ?? [])];
    return all.map((container) => ({ where: `${workload.file}: ${workload.kind} ${workload.name}, container ${String(container.name)}`, workload, container }));
  });
}

/** True when every key of `selector` is in `labels` with the same value (a matchLabels selector). */
export function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/**
 * The names of the Secrets (kind 'Secret') and ConfigMaps (kind 'ConfigMap') a pod spec reads:
 * env valueFrom, envFrom and volumes.
 *
 * @example
 * referencedObjects(spec) // [{ kind: 'Secret', name: 'breakwater-store' }, ...]
 */
export function referencedObjects(spec: Record<string, unknown>): { kind: 'Secret' | 'ConfigMap'; name: string }[] {
  const out: { kind: 'Secret' | 'ConfigMap'; name: string }[] = [];
  const all = [...((spec.initContainers as Record<string, unknown>[] | undefined) ?? []), ...((spec.containers as Record<string, unknown>[] | undefined) ?? [])];
  for (const c of all) {
    for (const e of (c.env as { valueFrom?: { secretKeyRef?: { name: string }; configMapKeyRef?: { name: string } } }[] | undefined) ?? []) {
      if (e.valueFrom?.secretKeyRef) out.push({ kind: 'Secret', name: e.valueFrom.secretKeyRef.name });
      if (e.valueFrom?.configMapKeyRef) out.push({ kind: 'ConfigMap', name: e.valueFrom.configMapKeyRef.name });
    }
    for (const e of (c.envFrom as { secretRef?: { name: string }; configMapRef?: { name: string } }[] | undefined) ?? []) {
      if (e.secretRef) out.push({ kind: 'Secret', name: e.secretRef.name });
      if (e.configMapRef) out.push({ kind: 'ConfigMap', name: e.configMapRef.name });
    }
  }
  for (const v of (spec.volumes as { secret?: { secretName: string }; configMap?: { name: string } }[] | undefined) ?? []) {
    if (v.secret) out.push({ kind: 'Secret', name: v.secret.secretName });
    if (v.configMap) out.push({ kind: 'ConfigMap', name: v.configMap.name });
  }
  return out;
}
