import { parseAllDocuments } from 'yaml';
import type { Definition, DefinitionDiagnostic, DefinitionDiff, PackManifest, PackValue, RenderedPack } from '../definitions/index.js';
import { packRef, planLines, readPackManifest, renderPack, renderPlan, resolvePackValues, runbookFromYaml, toYaml } from '../definitions/index.js';
import { BreakwaterError } from '../protocol/index.js';
import type { Endpoint } from './api.js';
import { getJson, postJson, request } from './api.js';
import { confirmed, currentDefinitions, renderDefinitionDiagnostics } from './definitions-commands.js';
import type { Io } from './io.js';
import { printListing } from './listing.js';
import type { OutputFormat } from './output-format.js';
import { forPeople } from './output-format.js';
import type { PackFolder } from './pack-files.js';
import { listPackNames, readBounded, readPackFolder } from './pack-files.js';
import { styleFor } from './style.js';

/*
 * `breakwater pack list | show NAME | install NAME`: packs are folders of parameterised
 * definitions (docs/packs.md). Installing renders the pack with its values and applies it through
 * the normal plan and apply, beside the definitions already running: the set sent is the current
 * one (written back to files, as `breakwater export` does) without this pack's previous version,
 * plus the pack rendered. Its runbooks are then created or replaced by name.
 */

/** A pack's name from a definition's provenance (`disk-full-logs@1.0.0` -> `disk-full-logs`). */
const packOf = (d: { pack?: string }): string | undefined => d.pack?.slice(0, d.pack.lastIndexOf('@'));
const keyOf = (d: { kind: string; name: string }) => `${d.kind}/${d.name}`;

interface PlanAnswer {
  ok: boolean;
  baseVersion: number;
  diagnostics: DefinitionDiagnostic[];
  diff?: DefinitionDiff;
}

interface RunbookRecord {
  id: string;
  name: string;
  description: string;
  params: string[];
  cells: { kind: string; text: string }[];
}

/** `breakwater pack list`: the packs in the folder; with a control plane, which version of each is installed. */
export async function packListCommand(dir: string, ep: Endpoint | undefined, format: OutputFormat, io: Io): Promise<number> {
  const rows: Record<string, unknown>[] = listPackNames(dir).map((name) => {
    // One pack that cannot be read (too many files, one too large) is listed as such, not the end of the list.
    let folder: PackFolder;
    try {
      folder = readPackFolder(dir, name);
    } catch (err) {
      return { name, version: '-', description: `(unreadable pack: ${(err as Error).message})` };
    }
    const { manifest, diagnostics } = readPackManifest(folder.manifest, name);
    return manifest ? { name, version: manifest.version, description: manifest.description, replaces: manifest.replaces } : { name, version: '-', description: `(invalid pack.yaml: ${diagnostics[0]?.message ?? '?'})` };
  });
  let installed: Map<string, string> | undefined;
  if (ep) {
    try {
      installed = installedPacks((await getJson<{ definitions: Definition[] }>(ep, '/api/v1/definitions')).definitions);
    } catch (err) {
      io.stderr.write(`${styleFor(io.stderr, io.env).yellow('warning')}: cannot ask the control plane which packs are installed: ${(err as Error).message}\n`);
    }
  }
  if (installed) for (const r of rows) r.installed = installed.get(String(r.name)) ?? null;
  await printListing(io, format, rows, {
    columns: [['NAME', (r) => String(r.name)], ['VERSION', (r) => String(r.version)], ...(installed ? [['INSTALLED', (r: Record<string, unknown>) => (r.installed ? String(r.installed) : '-')] as const] : []), ['DESCRIPTION', (r) => String(r.description)]],
    wide: [['REPLACES', (r) => String(r.replaces ?? '-')]],
    name: (r) => `pack/${String(r.name)}`,
  });
  if (forPeople(format)) io.stdout.write(styleFor(io.stdout, io.env).dim(`packs in ${dir}${installed ? '' : ' (pass --server or set BREAKWATER_SERVER to see which are installed)'}\n`));
  return 0;
}

/** A parameter's default as `pack show` prints it: an empty string must not look like a missing cell. */
function defaultText(value: PackValue | undefined): string {
  if (value === undefined) return '(required)';
  return value.text === '' ? '(empty)' : value.text;
}

/** Installed version of each pack, from its definitions' provenance. */
function installedPacks(definitions: readonly Definition[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const d of definitions) {
    const name = packOf(d);
    if (name !== undefined && d.pack) out.set(name, d.pack.slice(name.length + 1));
  }
  return out;
}

/** `breakwater pack show NAME`: what it fixes and replaces, its parameters, files and README. */
export async function packShowCommand(dir: string, name: string, format: OutputFormat, io: Io): Promise<number> {
  const folder = readPackFolder(dir, name);
  const manifest = checkedManifest(folder, io);
  if (!manifest) return 1;
  const files = folder.files.map((f) => f.path);
  if (!forPeople(format)) {
    const params = manifest.parameters.map((p) => ({ name: p.name, type: p.type, default: p.default?.typed ?? null, description: p.description, ...(p.pattern ? { pattern: p.pattern } : {}) }));
    io.stdout.write(`${JSON.stringify({ ...manifest, parameters: params, files, readme: folder.readme ?? null }, null, 2)}\n`);
    return 0;
  }
  const style = styleFor(io.stdout, io.env);
  io.stdout.write(`${style.bold(packRef(manifest))}: ${manifest.description}\nreplaces: ${manifest.replaces}\n\n`);
  await printListing(io, 'table', manifest.parameters as unknown as Record<string, unknown>[], {
    columns: [
      ['PARAMETER', (p) => String(p.name)],
      ['TYPE', (p) => String(p.type)],
      ['DEFAULT', (p) => defaultText(p.default as PackValue | undefined)],
      ['MEANING', (p) => String(p.description)],
    ],
    name: (p) => String(p.name),
  });
  io.stdout.write(`\nfiles: ${files.join(', ')}\nREADME: ${folder.readme ?? '(none)'}\ninstall: breakwater pack install ${manifest.name}${manifest.parameters[0] ? ` --set ${manifest.parameters[0].name}=...` : ''} --yes\n`);
  return 0;
}

function checkedManifest(folder: PackFolder, io: Io): PackManifest | undefined {
  const { manifest, diagnostics } = readPackManifest(folder.manifest, folder.name);
  if (diagnostics.length) io.stderr.write(`${renderDefinitionDiagnostics(diagnostics, io)}\n`);
  return manifest;
}

/** The pack's manifest, checked values and rendered files; undefined after printing the diagnostics. */
function render(folder: PackFolder, options: { sets: readonly string[]; values?: string }, io: Io): { manifest: PackManifest; values: Record<string, PackValue>; rendered: RenderedPack } | undefined {
  const manifest = checkedManifest(folder, io);
  if (!manifest) return undefined;
  const resolved = resolvePackValues(manifest, { sets: options.sets, ...(options.values === undefined ? {} : { valuesFile: readBounded(options.values) }) });
  const r = resolved.values ? renderPack(manifest, folder.files, resolved.values) : undefined;
  const diagnostics = [...resolved.diagnostics, ...(r?.diagnostics ?? [])];
  if (diagnostics.length) io.stderr.write(`${renderDefinitionDiagnostics(diagnostics, io)}\n`);
  if (!resolved.values || !r?.rendered) return undefined;
  return { manifest, values: resolved.values, rendered: r.rendered };
}

/** `kind/name` of each document of the rendered definition files. */
function renderedKeys(rendered: RenderedPack): Set<string> {
  const keys = new Set<string>();
  for (const f of rendered.files) {
    for (const d of parseAllDocuments(f.text)) {
      const js = d.toJS() as { kind?: unknown; name?: unknown } | null;
      if (js && typeof js.kind === 'string' && typeof js.name === 'string') keys.add(`${js.kind}/${js.name}`);
    }
  }
  return keys;
}

export interface PackInstallOptions {
  readonly sets: readonly string[];
  readonly values?: string;
  readonly yes?: boolean;
  readonly dryRun?: boolean;
  readonly json?: boolean;
}

/**
 * `breakwater pack install NAME [--set k=v ...] [--values FILE] [--yes] [--dry-run] [--json]`.
 * Exit 0 installed (or nothing to change, or a dry run), 1 refused or not confirmed.
 */
export async function packInstallCommand(ep: Endpoint, dir: string, name: string, options: PackInstallOptions, io: Io): Promise<number> {
  const r = render(readPackFolder(dir, name), options, io);
  if (!r) {
    io.stderr.write(`pack ${name}: nothing was installed.\n`);
    return 1;
  }
  const { manifest, rendered } = r;
  const ref = packRef(manifest);
  const current = await currentDefinitions(ep, 'install a pack');
  const own = renderedKeys(rendered);
  for (const d of current.definitions) {
    if (own.has(keyOf(d)) && packOf(d) !== manifest.name) {
      throw new BreakwaterError('BW_ERR_CONFLICT', `pack ${manifest.name} defines ${d.kind} ${d.name}, which exists already ${d.pack ? `from pack ${d.pack}` : 'and came from no pack'}: rename or delete it first; nothing was installed`, { kind: d.kind, name: d.name });
    }
  }
  const kept = current.definitions.filter((d) => packOf(d) !== manifest.name);
  const previous = new Set(current.definitions.filter((d) => packOf(d) === manifest.name).map(keyOf));
  const files = [...toYaml(kept).map((f) => ({ path: `(installed)/${f.path}`, text: f.text })), ...rendered.files];
  // A pack of runbooks only, on a control plane with no definitions yet: nothing to plan.
  const plan = files.length ? await postJson<PlanAnswer>(ep, `/api/v1/definitions/plan${options.dryRun ? '' : '?intent=apply'}`, { files }) : { ok: true, baseVersion: current.version, diagnostics: [] };
  if (!plan.ok) {
    io.stderr.write(`${renderDefinitionDiagnostics(plan.diagnostics, io)}\npack ${ref}: ${plan.diagnostics.length} problem(s); nothing was installed.\n`);
    return 1;
  }
  const diff = plan.diff ?? { create: [], update: [], delete: [], unchanged: 0 };
  // Only the pack's own definitions may change; anything else would mean the running set did not
  // survive being written back to files, and installing would change what nobody asked to change.
  const outside = [...diff.create, ...diff.update.map((u) => u.after), ...diff.delete].filter((d) => !own.has(keyOf(d)) && !previous.has(keyOf(d)));
  if (outside.length) throw new BreakwaterError('BW_ERR_INTERNAL', `installing pack ${ref} would also change ${outside.map(keyOf).join(', ')}, which are not the pack's; nothing was installed`);
  const runbooks = await runbookChanges(ep, rendered, manifest.name, previous.size > 0);
  const changes = diff.create.length + diff.update.length + diff.delete.length + runbooks.filter((b) => b.op !== 'unchanged').length;
  const summary = { pack: manifest.name, version: manifest.version, values: Object.fromEntries(Object.entries(r.values).map(([k, v]) => [k, v.typed])), baseVersion: plan.baseVersion, plan: planLines(diff), runbooks: runbooks.map((b) => ({ name: b.name, op: b.op })) };
  const style = styleFor(io.stdout, io.env);
  if (!options.json) {
    io.stdout.write(`${style.bold(`pack ${ref}`)} with ${Object.entries(r.values).map(([k, v]) => `${k}=${v.text}`).join(' ') || 'no parameters'}\n\n`);
    io.stdout.write(renderPlan(diff, style));
    for (const b of runbooks.filter((x) => x.op !== 'unchanged')) io.stdout.write(`${b.op === 'create' ? style.green('+') : style.yellow('~')} runbook ${style.bold(b.name)}\n`);
  }
  const finish = (applied: number | null) => {
    if (options.json) io.stdout.write(`${JSON.stringify({ ...summary, dryRun: options.dryRun === true, applied }, null, 2)}\n`);
    return 0;
  };
  if (!changes) {
    if (!options.json) io.stdout.write(`No changes: pack ${ref} is installed with these values (definitions version ${plan.baseVersion}).\n`);
    return finish(null);
  }
  if (options.dryRun) return finish(null);
  if (!options.yes && !(await confirmed(io, `Install pack ${ref} as definitions version ${plan.baseVersion + 1}?`))) {
    io.stdout.write('Not installed.\n');
    return 1;
  }
  let version = plan.baseVersion;
  if (diff.create.length + diff.update.length + diff.delete.length) version = (await postJson<{ version: number }>(ep, '/api/v1/definitions/apply', { files, baseVersion: plan.baseVersion })).version;
  for (const b of runbooks) {
    if (b.op === 'create') await postJson(ep, '/api/v1/runbooks/import', { text: b.text });
    else if (b.op === 'replace') await request(ep, 'PUT', `/api/v1/runbooks/${encodeURIComponent(b.id ?? '')}`, b.content);
  }
  if (!options.json) io.stdout.write(`${style.green(`Installed pack ${ref}`)} as definitions version ${version}. \`breakwater get alarms\` (and bots, actions, ...) shows it in the PACK column.\n`);
  return finish(version);
}

/**
 * Whether each runbook of the pack would be created, replaced (same name, other content) or is
 * unchanged. Runbooks carry no provenance: one of the same name is replaced only when the pack is
 * installed already (an update); on a first install it is someone else's, and is refused.
 */
async function runbookChanges(ep: Endpoint, rendered: RenderedPack, pack: string, installed: boolean): Promise<{ name: string; op: 'create' | 'replace' | 'unchanged'; text: string; id?: string; content: Record<string, unknown> }[]> {
  if (!rendered.runbooks.length) return [];
  const existing = await getJson<RunbookRecord[]>(ep, '/api/v1/runbooks');
  return rendered.runbooks.map((f) => {
    let content: Record<string, unknown>;
    try {
      content = runbookFromYaml(f.text);
    } catch (err) {
      throw new BreakwaterError('BW_ERR_CONFIG', `${f.path}: ${(err as Error).message}`, { path: f.path });
    }
    const name = String(content.name);
    const same = existing.find((b) => b.name === name);
    if (!same) return { name, op: 'create', text: f.text, content };
    const now = JSON.stringify({ name: same.name, description: same.description, params: same.params, cells: same.cells });
    if (now === JSON.stringify(content)) return { name, op: 'unchanged', text: f.text, content };
    if (!installed) throw new BreakwaterError('BW_ERR_CONFLICT', `pack ${pack} has runbook ${name}, and a different runbook of that name exists already (not from this pack): rename or delete it first; nothing was installed`, { runbook: name });
    return { name, op: 'replace', text: f.text, id: same.id, content };
  });
}
