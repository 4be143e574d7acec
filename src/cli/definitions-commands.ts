import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Definition, DefinitionDiagnostic, DefinitionDiff } from '../definitions/index.js';
import { formatDefinitionDiagnostic, renderPlan, toYaml } from '../definitions/index.js';
import { BreakwaterError } from '../protocol/index.js';
import type { Endpoint } from './api.js';
import { getJson, postJson } from './api.js';
import { DEFINITION_KIND_PLURALS } from './command-names.js';
import { readDefinitionFiles } from './definition-files.js';
import type { Io } from './io.js';
import { packColumn, printListing } from './listing.js';
import type { OutputFormat } from './output-format.js';
import { forPeople } from './output-format.js';
import { styleFor } from './style.js';

/** `file:line:column field: message [code]`, one per line, the way compilers list problems. */
export function renderDefinitionDiagnostics(diagnostics: readonly DefinitionDiagnostic[], io: Io): string {
  const style = styleFor(io.stderr, io.env);
  return diagnostics.map((d) => (d.severity === 'error' ? style.red(formatDefinitionDiagnostic(d)) : style.yellow(formatDefinitionDiagnostic(d)))).join('\n');
}

interface PlanAnswer {
  ok: boolean;
  baseVersion: number;
  diagnostics: DefinitionDiagnostic[];
  diff?: DefinitionDiff;
}

/**
 * `breakwater apply -f DIR`: checks every file, shows the plan (create, change,
 * delete, with the changed fields), and applies it as one new version after
 * confirmation (`--yes` for scripts). Nothing is half-applied.
 */
export async function applyCommand(ep: Endpoint, dir: string, options: { yes?: boolean; planOnly?: boolean }, io: Io): Promise<number> {
  const files = readDefinitionFiles(dir);
  // Planning to apply asks for the role apply needs up front: a viewer is told `apply needs the
  // admin role` at once, not that planning needs operator, and then again as an operator.
  const plan = await postJson<PlanAnswer>(ep, `/api/v1/definitions/plan${options.planOnly ? '' : '?intent=apply'}`, { files });
  if (!plan.ok) {
    io.stderr.write(`${renderDefinitionDiagnostics(plan.diagnostics, io)}\n${plan.diagnostics.length} problem(s) in ${dir}; nothing was applied.\n`);
    return 1;
  }
  if (plan.diagnostics.length) io.stderr.write(`${renderDefinitionDiagnostics(plan.diagnostics, io)}\n`);
  // Rendered here rather than the answer's plain `text`, so a terminal gets it coloured (the web UI draws the same lines).
  if (plan.diff) io.stdout.write(`${renderPlan(plan.diff, styleFor(io.stdout, io.env))}\n`);
  const changes = (plan.diff?.create.length ?? 0) + (plan.diff?.update.length ?? 0) + (plan.diff?.delete.length ?? 0);
  if (!changes) {
    io.stdout.write(`No changes: the fleet already runs these definitions (version ${plan.baseVersion}).\n`);
    return 0;
  }
  if (options.planOnly) return 0;
  if (!options.yes && !(await confirmed(io, `Apply this as version ${plan.baseVersion + 1}?`))) {
    io.stdout.write('Not applied.\n');
    return 1;
  }
  const applied = await postJson<{ version: number; changed: boolean }>(ep, '/api/v1/definitions/apply', { files, baseVersion: plan.baseVersion });
  io.stdout.write(`${styleFor(io.stdout, io.env).green(`Applied version ${applied.version}.`)} Agents receive it now; \`breakwater drift\` shows any host not on it.\n`);
  return 0;
}

/**
 * Asks `question` on a terminal; only "yes" confirms. On a non-interactive input it refuses at once
 * (scripts pass --yes), so nothing waits for an answer that cannot come.
 */
export async function confirmed(io: Io, question: string): Promise<boolean> {
  const tty = (io.stdin as NodeJS.ReadStream).isTTY === true;
  if (!tty) throw new BreakwaterError('BW_ERR_CONFIRMATION_REQUIRED', 'refusing to apply without confirmation on a non-interactive input: pass --yes');
  const rl = createInterface({ input: io.stdin, output: io.stdout });
  const answer = await rl.question(`${question} Only "yes" applies: `);
  rl.close();
  return answer.trim() === 'yes';
}

/**
 * The current definitions and their version, refusing when file content is hidden (a non-admin
 * token): written back to files without it, they would not apply back.
 */
export async function currentDefinitions(ep: Endpoint, what: string): Promise<{ version: number; definitions: Definition[] }> {
  const current = await getJson<{ version: number; definitions: Definition[] }>(ep, '/api/v1/definitions');
  const hidden = current.definitions.filter((d) => (d as { contentHidden?: boolean }).contentHidden === true).map((d) => d.name);
  if (hidden.length) throw new BreakwaterError('BW_ERR_FORBIDDEN', `the content of file ${hidden.join(', ')} is shown to admins only: ${what} with an admin token`, { files: hidden });
  return current;
}

/** `breakwater get alarms` (and the other kinds): the current definitions of one kind. */
export async function getDefinitionsCommand(ep: Endpoint, plural: string, options: { format: OutputFormat }, io: Io): Promise<number> {
  const kind = DEFINITION_KIND_PLURALS[plural];
  const current = await getJson<{ version: number; definitions: Definition[] }>(ep, '/api/v1/definitions');
  const items = current.definitions.filter((d) => d.kind === kind) as unknown as Record<string, unknown>[];
  const summary = (d: Record<string, unknown>): string => {
    switch (kind) {
      case 'action':
        return String(d.command).split('\n')[0] ?? '';
      case 'alarm':
        return `${String(d.query)} | ${String(d.fire)}`;
      case 'bot': {
        const t = d.trigger as Record<string, string>;
        return `${t.alarm ? `alarm ${t.alarm} ${t.on}` : t.event ? `${t.event}${t.process ? ` ${t.process}` : ''}` : `external ${t.external}`} -> ${String(d.action)}`;
      }
      case 'schedule':
        return `${d.cron ? String(d.cron) : `every ${String(d.everySeconds)}s`}: ${String(d.run)}`;
      case 'file':
        return `${String(d.path)} on ${String(d.query)}`;
      case 'secret':
        return `${String(d.value)} on ${d.hosts ? String(d.hosts) : '(the control plane only)'}`;
      case 'integration':
        return String(d.type);
      default:
        return String(d.description ?? '');
    }
  };
  await printListing(io, options.format, items, {
    columns: [
      ['NAME', (d) => String(d.name)],
      ['WHAT', summary],
      ...packColumn(items),
    ],
    wide: [['DESCRIPTION', (d) => String(d.description ?? '-')]],
    name: (d) => `${String(kind)}/${String(d.name)}`,
  });
  if (forPeople(options.format)) io.stdout.write(styleFor(io.stdout, io.env).dim(`definitions version ${current.version}\n`));
  return 0;
}

/** `breakwater export [-o DIR]`: the current definitions back to files. */
export async function exportCommand(ep: Endpoint, out: string | undefined, io: Io): Promise<number> {
  // The API shows file content to admins only: an export without it would not apply back.
  const current = await currentDefinitions(ep, 'export');
  const files = toYaml(current.definitions);
  if (!out) {
    for (const f of files) io.stdout.write(`# ${f.path}\n${f.text}---\n`);
    return 0;
  }
  for (const f of files) {
    const target = join(out, f.path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, f.text);
  }
  io.stderr.write(`wrote ${files.length} files of definitions version ${current.version} to ${out}\n`);
  return 0;
}

/** `breakwater drift`: hosts not on the current definitions version, and bots switched off. Exit 1 when any drifts or is switched off. */
export async function driftCommand(ep: Endpoint, options: { format: OutputFormat }, io: Io): Promise<number> {
  const rows = await getJson<{ name: string; connected: boolean; version: number | null; current: number; drift: boolean | null; switchedOff?: string[] }[]>(ep, '/api/v1/drift');
  const style = styleFor(io.stdout, io.env);
  const switchedOff = [...new Set(rows.flatMap((r) => r.switchedOff ?? []))];
  await printListing(io, options.format, rows as unknown as Record<string, unknown>[], {
    columns: [
      ['HOST', (r) => String(r.name)],
      ['STATUS', (r) => (r.connected ? 'connected' : 'disconnected')],
      ['VERSION', (r) => (r.version === null ? '-' : String(r.version))],
      ['DRIFT', (r) => (r.drift === null ? 'unknown (offline)' : r.drift ? style.red('yes') : 'no')],
      // Bots an operator switched off differ from the definitions until switched on or applied
      // anew: a column only while any is, so the usual answer stays four columns wide.
      ...(switchedOff.length ? [['SWITCHED OFF', (r: Record<string, unknown>) => (Array.isArray(r.switchedOff) && r.switchedOff.length ? style.red(r.switchedOff.join(', ')) : '-')] as const] : []),
    ],
    wide: [['CURRENT', (r) => String(r.current)]],
    name: (r) => `host/${String(r.name)}`,
  });
  const drifting = rows.filter((r) => r.drift).length;
  if (forPeople(options.format)) io.stdout.write(style.dim(`current version ${rows[0]?.current ?? 0}: ${drifting} host(s) drifting${switchedOff.length ? `; bots switched off: ${switchedOff.join(', ')}` : ''}\n`));
  return drifting || switchedOff.length ? 1 : 0;
}

/** `breakwater approve ID` / `breakwater deny ID`. */
export async function decideCommand(ep: Endpoint, id: string, approve: boolean, io: Io): Promise<number> {
  const r = await postJson<{ status: string; runId: string | null; failed?: number }>(ep, `/api/v1/approvals/${encodeURIComponent(id)}/${approve ? 'approve' : 'deny'}`, {});
  io.stdout.write(r.status === 'approved' ? `approved; it ran as run ${r.runId ?? '-'}${r.failed ? ` (${r.failed} failed)` : ''}\n` : 'denied\n');
  return r.failed ? 1 : 0;
}

/** `breakwater schedule run <name>`: runs it now and says how it went (exit 1 when a target failed). */
export async function scheduleRunCommand(ep: Endpoint, name: string, io: Io): Promise<number> {
  const r = await postJson<{ runId: string | null; targets: number; failed: number; durationMs: number }>(ep, `/api/v1/schedules/${encodeURIComponent(name)}/run`, {});
  io.stdout.write(`schedule ${name} ran as run ${r.runId ?? '-'}: ${r.targets} target(s), ${r.failed} failed, ${r.durationMs} ms\n`);
  return r.failed ? 1 : 0;
}

/** `breakwater backtest alarm.yaml [--hours N]`: when the alarm would have fired and cleared, per host. */
export async function backtestCommand(ep: Endpoint, file: string, options: { hours?: number; json?: boolean }, io: Io): Promise<number> {
  const files = readDefinitionFiles(file);
  const seconds = Math.round((options.hours ?? 1) * 3600);
  const r = await postJson<{ alarm: string; hosts: { host: string; answered: boolean; error: string | null; transitions: { time: number; resource: string; state: string; value: number | null }[] }[] }>(ep, '/api/v1/backtest', { files, seconds });
  if (options.json) {
    io.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    return 0;
  }
  const style = styleFor(io.stdout, io.env);
  let fired = 0;
  for (const h of r.hosts) {
    const head = h.error ? style.red(`${h.host}: ${h.error}`) : `${style.bold(h.host)}: ${h.transitions.length ? `${h.transitions.filter((t) => t.state === 'fired').length} time(s) fired` : 'never fired'}`;
    io.stdout.write(`${head}\n`);
    for (const t of h.transitions) {
      if (t.state === 'fired') fired++;
      io.stdout.write(`  ${new Date(t.time).toISOString()}  ${t.state === 'fired' ? style.red('fired  ') : style.green('cleared')}  ${t.resource}${t.value === null ? '' : `  value ${Math.round(t.value * 100) / 100}`}\n`);
    }
  }
  io.stdout.write(style.dim(`alarm ${r.alarm} over the last ${seconds}s: fired ${fired} time(s) on ${r.hosts.length} host(s)\n`));
  return 0;
}
