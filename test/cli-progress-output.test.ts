import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import type { Lab, LabHost } from '../src/lab/index.js';
import { startLab } from '../src/lab/index.js';
import { BIN, ROOT, runCli, waitUntil } from './helpers.js';
import { cliEnv, labHost } from './scenarios/scenario-helpers.js';

/*
 * What an operator sees while long work runs, and the kubectl habits, with the real `breakwater`
 * CLI against a real lab (a control plane and 3 real agent processes; web-1, web-2, db-3):
 * `run` prints each host as it finishes (a slow host is held back by a file the test creates, so
 * what was printed before it finished is checked, never how long anything took), the status line
 * on a pseudo-terminal, `-o table|wide|json|yaml|name`, and `get events|agents --watch`. Needs
 * `npm run build`.
 */

let lab: Lab;
let work: string;

const env = () => cliEnv(lab);
const cli = (args: readonly string[]) => runCli(args, { env: env() });
const host = (name: string): LabHost => labHost(lab, name);

/** The CLI as a child process whose output is read as it comes. */
function start(args: readonly string[]) {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, ...env() } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  let ended = false;
  void exited.then(() => (ended = true));
  return { child, exited, out: () => stdout, err: () => stderr, ended: () => ended };
}

/**
 * A command that finishes at once on every host but `slow`, which waits until the test creates
 * `release-<tag>` in its directory (the agent's working directory).
 */
async function holdBack(slow: string, tag: string): Promise<{ command: string; release: () => Promise<void> }> {
  await writeFile(join(host(slow).dir, `slow-${tag}`), '');
  return {
    command: `\`if [ -f slow-${tag} ]; then while [ ! -f release-${tag} ]; do sleep 0.05; done; fi; echo finished\``,
    release: () => writeFile(join(host(slow).dir, `release-${tag}`), ''),
  };
}

beforeAll(async () => {
  lab = await startLab({ hosts: 3 });
  work = await mkdtemp(join(tmpdir(), 'bw-progress-output-'));
}, 90_000);

afterAll(async () => {
  await lab?.stop();
  if (work) await rm(work, { recursive: true, force: true });
}, 30_000);

describe('breakwater run shows each host as it finishes', () => {
  it('prints the fast hosts while the slow one still runs, then the grouped outputs; no escape codes in a pipe', async () => {
    const { command, release } = await holdBack('db-3', 'table');
    const run = start(['run', `host | ${command}`, '--yes']);
    await waitUntil('the fast hosts printed', () => /^✓ web-1\s+exit 0\s+finished$/m.test(run.out()) && /^✓ web-2\s+exit 0\s+finished$/m.test(run.out()));
    // db-3 is still running: nothing of it yet, and the command has not ended.
    expect(run.out()).not.toContain('db-3');
    expect(run.ended()).toBe(false);
    await release();
    expect(await run.exited).toBe(0);
    const lines = run.out().split('\n');
    expect(lines.findIndex((l) => l.startsWith('✓ db-3'))).toBeGreaterThan(lines.findIndex((l) => l.startsWith('✓ web-2')));
    // The summary still groups identical outputs, after the hosts.
    expect(run.out()).toMatch(/^3 hosts \(db-3, web-1, web-2\) exit 0:\n {4}finished$/m);
    expect(run.out()).toMatch(/^3 rows, 3 ok, 0 failed in [\d.]+s \(run [\w-]+\)$/m);
    // Not a terminal: no status line, no escape codes.
    expect(run.out() + run.err()).not.toContain('\u001b');
    expect(run.err()).toBe('');
  });

  it('-o json streams the NDJSON lines: the targets line, then rows as hosts finish', async () => {
    const { command, release } = await holdBack('web-1', 'json');
    const run = start(['run', `host | ${command}`, '--yes', '-o', 'json']);
    const parsed = () => run.out().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; hosts?: number; row?: { resource: { name: string } } });
    await waitUntil('two rows streamed', () => parsed().filter((l) => l.type === 'row').length === 2);
    expect(parsed().map((l) => l.type)).toEqual(['plan', 'targets', 'row', 'row']);
    expect(parsed()[1]).toEqual({ type: 'targets', hosts: 3 });
    expect(parsed().flatMap((l) => (l.row ? [l.row.resource.name] : [])).sort()).toEqual(['db-3', 'web-2']);
    expect(run.ended()).toBe(false);
    await release();
    expect(await run.exited).toBe(0);
    expect(parsed().map((l) => l.type)).toEqual(['plan', 'targets', 'row', 'row', 'row', 'summary']);
  });

  it('a rollout shows each batch as it goes and its hosts as each batch ends', async () => {
    // Batches go by name: db-3, web-1, web-2; the last one is held back.
    const { command, release } = await holdBack('web-2', 'rollout');
    const run = start(['run', `host | rolling(batch = 1) | ${command}`, '--yes']);
    await waitUntil('batch 3 started', () => run.err().includes('rollout: batch 3/3: web-2'));
    expect(run.out()).toMatch(/^✓ db-3\s+exit 0\s+finished\n✓ web-1\s+exit 0\s+finished\n$/);
    expect(run.err()).toContain('rollout: batch 1/3 done');
    await release();
    expect(await run.exited).toBe(0);
    expect(run.out()).toMatch(/^✓ web-2\s+exit 0\s+finished$/m);
  });

  // util-linux's `script` (Debian's essential bsdutils); under BREAKWATER_REQUIRE_SERVICES=1 (CI) a missing one fails the test.
  const hasScript = spawnSync('script', ['--version']).status === 0 || process.env.BREAKWATER_REQUIRE_SERVICES === '1';
  it.skipIf(!hasScript)(`${hasScript ? '' : '(SKIPPED: util-linux script is not installed) '}on a terminal, a status line at the bottom says done, ok, failed, pending and the batch, redrawn in place and erased at the end`, async () => {
    const { command, release } = await holdBack('web-2', 'tty');
    const script = join(work, 'run.sh');
    const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    await writeFile(script, `exec ${quote(process.execPath)} ${quote(BIN)} run ${quote(`host | rolling(batch = 1) | ${command}`)} --yes\n`);
    // util-linux `script` gives the CLI a pseudo-terminal for its stdout and stderr.
    const run = spawn('script', ['-qfec', `sh ${quote(script)}`, '/dev/null'], { env: { ...process.env, ...env(), NO_COLOR: '1', FORCE_COLOR: undefined } });
    let out = '';
    run.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((done) => run.on('close', (code) => done(code)));
    await waitUntil('the status line of batch 3', () => out.includes('batch 3/3 · 2/3 done · 2 ok · 0 failed · 1 pending · '));
    await release();
    expect(await exited).toBe(0);
    const screen = out.replace(/\r\n/g, '\n');
    expect(screen).toContain('\r\u001b[2K');
    expect(screen).toMatch(/batch 1\/3 · 0\/3 done · 0 ok · 0 failed · 3 pending · \d+\.\d s/);
    // Erased before the summary: what stays on the screen after the last erase is the grouped outputs.
    const afterLastErase = screen.slice(screen.lastIndexOf('\u001b[2K') + 4);
    expect(afterLastErase).not.toContain('pending');
    expect(afterLastErase).toMatch(/3 hosts \(db-3, web-1, web-2\) exit 0:/);
    // NO_COLOR: no colours, only the line erasing a terminal needs.
    expect(screen.replace(/\r\u001b\[2K/g, '')).not.toContain('\u001b');
  });
});

describe('-o on get and run', () => {
  it('yaml is the json, parsed back; name is kind/name; wide adds columns', async () => {
    const json = await cli(['get', 'tokens', '-o', 'json']);
    const yaml = await cli(['get', 'tokens', '-o', 'yaml']);
    expect([json.code, yaml.code]).toEqual([0, 0]);
    expect(parse(yaml.stdout)).toEqual(JSON.parse(json.stdout));
    expect((await cli(['get', 'tokens', '--json'])).stdout).toBe(json.stdout);

    const names = await cli(['get', 'agents', '-o', 'name']);
    expect(names.stdout).toBe('agent/db-3\nagent/web-1\nagent/web-2\n');
    const wide = await cli(['get', 'agents', '-o', 'wide']);
    expect(wide.stdout.split('\n')[0]).toMatch(/^NAME\s+STATUS\s+LAST SEEN\s+IP\s+TAGS\s+ID\s+ENROLLED WITH\s+ATTRIBUTES$/);
    expect(wide.stdout).toMatch(/^web-1\s+connected\s.*lab-join\s+.*os=linux/m);

    const alarms = await cli(['get', 'actions', '-o', 'yaml']);
    expect(alarms.code, alarms.stderr).toBe(0);
    expect(parse(alarms.stdout)).toEqual(JSON.parse((await cli(['get', 'actions', '-o', 'json'])).stdout));
  });

  it('run -o yaml is the run -o json lines as documents; -o name lists what answered', async () => {
    const statement = 'host | role = "web" | `echo same`';
    const stable = (lines: Record<string, unknown>[]) => lines.map(({ runId, durationMs, row, ...rest }) => ({ ...rest, ...(row ? { row: { ...(row as Record<string, unknown>), values: { ...((row as { values: object }).values), duration: 0 } } } : {}) }));
    const json = await cli(['run', statement, '-o', 'json']);
    const yaml = await cli(['run', statement, '-o', 'yaml']);
    expect([json.code, yaml.code]).toEqual([0, 0]);
    const fromJson = json.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const fromYaml = parseAllDocuments(yaml.stdout).map((d) => d.toJS() as Record<string, unknown>);
    expect(fromYaml.map((l) => l.type)).toEqual(['plan', 'targets', 'row', 'row', 'summary']);
    const byName = (a: Record<string, unknown>[]) => [...a].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
    expect(byName(stable(fromYaml))).toEqual(byName(stable(fromJson)));

    const names = await cli(['run', 'host | role = "web" | cpu_usage', '-o', 'name']);
    expect(names.code, names.stderr).toBe(0);
    expect(names.stdout).toBe('host/web-1\nhost/web-2\n');
    const dry = await cli(['run', 'host | `reboot`', '--dry-run', '-o', 'name']);
    expect(dry.stdout).toBe('host/db-3\nhost/web-1\nhost/web-2\n');
  });

  it('a bad -o, or --json with another -o, or --watch on what cannot be watched: a clear error, exit 2', async () => {
    for (const args of [
      ['get', 'agents', '-o', 'xml'],
      ['run', 'host | cpu_usage', '-o', 'JSON'],
    ]) {
      const r = await cli(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("argument '");
      expect(r.stderr).toContain('Allowed choices are table, json, yaml, wide, name.');
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    const both = await cli(['get', 'agents', '--json', '-o', 'yaml']);
    expect([both.code, both.stderr]).toEqual([2, 'error: --json is -o json: it cannot go with -o yaml [BW_ERR_CONFIG]\n']);
    const watch = await cli(['get', 'runs', '--watch']);
    expect([watch.code, watch.stderr]).toEqual([2, 'error: --watch: only get events and get agents can be watched, not "runs" [BW_ERR_CONFIG]\n']);
  });
});

describe('--watch', () => {
  it('get events --watch prints a new event as it happens and ends quietly on Ctrl-C', async () => {
    const watch = start(['get', 'events', '--watch']);
    await waitUntil('the listing', () => /^TIME\s+TYPE\s+HOST\s+MESSAGE\n/.test(watch.out()) && watch.out().includes('agent_joined'));
    expect(watch.out()).not.toContain('definitions_applied');
    await writeFile(join(work, 'greet.yaml'), 'kind: action\nname: greet\ncommand: echo hello\n');
    const applied = await cli(['apply', '-f', join(work, 'greet.yaml'), '--yes']);
    expect(applied.code, applied.stderr).toBe(0);
    await waitUntil('the definitions_applied event', () => /^\S+ \S+\s+definitions_applied\s+-\s+definitions version \d+ applied by admin/m.test(watch.out()));
    watch.child.kill('SIGINT');
    expect(await watch.exited).toBe(0);
    expect(watch.err()).toBe('');
  });

  it('get agents --watch -o json prints an agent again when it disconnects and comes back', async () => {
    const watch = start(['get', 'agents', '--watch', '-o', 'json']);
    const lines = () => watch.out().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { name: string; status: string });
    await waitUntil('the three agents', () => lines().length === 3);
    expect(lines().map((a) => `${a.name} ${a.status}`)).toEqual(['db-3 connected', 'web-1 connected', 'web-2 connected']);
    const web2 = host('web-2');
    const gone = new Promise((done) => web2.process.once('exit', done));
    web2.process.kill('SIGKILL');
    await gone;
    await waitUntil('web-2 disconnected', () => lines().some((a, i) => i >= 3 && a.name === 'web-2' && a.status === 'disconnected'), 60_000);
    lab.startAgent(web2);
    await waitUntil('web-2 back', () => lines().slice(3).some((a) => a.name === 'web-2' && a.status === 'connected'), 60_000);
    expect(lines().slice(3).map((a) => `${a.name} ${a.status}`)).toEqual(['web-2 disconnected', 'web-2 connected']);
    watch.child.kill('SIGINT');
    expect(await watch.exited).toBe(0);
    expect(watch.err()).toBe('');
  }, 150_000);
});
