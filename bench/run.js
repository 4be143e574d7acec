// @ts-check
/**
 * Breakwater's benchmark runner.
 *
 *   npm run bench                     # build, then run every suite and record the results
 *   npm run bench -- lang             # only the named suites (file name or exported `name`)
 *   node bench/run.js --quick --no-record lang   # a fast smoke run against an existing build
 *
 * Suites are the files `bench/suites/*.js`. Each exports `name`, `description` and
 * `async run(ctx)`, which returns a list of measurements `{ name, unit, value, target?, note? }`
 * (see the typedefs below). They run against the compiled `dist/`, not the TypeScript sources,
 * so they measure what ships. The runner prints a table per suite, writes the results with the
 * date, machine and git commit to `bench/results/<suite>.json`, and appends one line per suite
 * to `bench/results/HISTORY.md`.
 *
 * Options: --quick (suites cut their iterations; implies --no-record), --no-record (print
 * only), --fail-on-miss (exit 1 when a measurement misses its target), --list, --help.
 * Exit status: 0, or 1 when a suite fails (throws or returns malformed measurements), a named
 * suite does not exist, or --fail-on-miss and a target was missed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(BENCH);
const SUITES = path.join(BENCH, 'suites');
const RESULTS = path.join(BENCH, 'results');
const DIST = path.join(ROOT, 'dist');
const HISTORY = path.join(RESULTS, 'HISTORY.md');

/**
 * A goal for a measurement: `{ op: '<', value: 1000 }` reads "value < 1000" in its unit.
 * @typedef {{ op: '<' | '<=' | '>' | '>=', value: number }} Target
 */

/**
 * One number a suite measured.
 * @typedef {object} Measurement
 * @property {string} name What was measured, unique within the suite, e.g. `typical · p50`.
 * @property {string} unit e.g. `µs`, `statements/s`, `MB`.
 * @property {number} value A finite number.
 * @property {Target} [target] The goal, shown as met or missed.
 * @property {string} [note] Anything a reader needs to interpret the value.
 */

/**
 * What a suite's `run` receives.
 * @typedef {object} Context
 * @property {string} root The repository root.
 * @property {string} dist The build output, `<root>/dist`.
 * @property {boolean} quick True for a smoke run: use few iterations.
 * @property {(message: string) => void} log Progress output (stderr, so tables stay clean).
 */

/**
 * A benchmark suite module, `bench/suites/<file>.js`.
 * @typedef {object} Suite
 * @property {string} name
 * @property {string} description
 * @property {(ctx: Context) => Promise<Measurement[]>} run
 */

/**
 * The record written to `bench/results/<suite>.json`.
 * @typedef {object} SuiteResult
 * @property {string} suite
 * @property {string} description
 * @property {string} date ISO 8601, when the suite started.
 * @property {number} durationSeconds
 * @property {Machine} machine
 * @property {{ commit: string, dirty: boolean } | null} git Null outside a git checkout.
 * @property {Measurement[]} measurements
 */

/**
 * @typedef {object} Machine
 * @property {string} os e.g. `Linux`.
 * @property {string} platform e.g. `linux`.
 * @property {string} arch e.g. `x64`.
 * @property {string} kernel Kernel release, e.g. `6.1.0-18-amd64`.
 * @property {string} cpu CPU model.
 * @property {number} cores Logical CPUs available to the process.
 * @property {number} memoryBytes Total memory.
 * @property {string} node Node.js version.
 * @property {number[]} loadAverage 1, 5 and 15 minute load averages when the run started (shared machines).
 */

const USAGE = `usage: node bench/run.js [--quick] [--no-record] [--fail-on-miss] [--list] [suite...]

Runs the benchmark suites in bench/suites/ (all of them, or the ones named) against dist/,
prints a table per suite and records the results in bench/results/. Run \`npm run bench\`
to build first.`;

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

const colour = (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0') || (process.stdout.isTTY === true && process.env.NO_COLOR === undefined);
/** @param {number} open @param {number} close */
const ansi = (open, close) => (/** @type {string} */ s) => (colour ? `\u001b[${open}m${s}\u001b[${close}m` : s);
const style = { red: ansi(31, 39), green: ansi(32, 39), yellow: ansi(33, 39), cyan: ansi(36, 39), bold: ansi(1, 22), dim: ansi(2, 22) };

/** @param {string} s */
const visibleLength = (s) => s.replace(/\u001b\[[0-9;]*m/g, '').length;

/** @param {string} s @param {number} width */
const clip = (s, width) => (s.length > width ? `${s.slice(0, Math.max(width - 1, 0))}…` : s);

/** @param {number} v */
function formatValue(v) {
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** @param {Target} t @param {string} unit */
const formatTarget = (t, unit) => `${t.op} ${formatValue(t.value)} ${unit}`;

/** @param {number} value @param {Target} target */
function meets(value, target) {
  switch (target.op) {
    case '<':
      return value < target.value;
    case '<=':
      return value <= target.value;
    case '>':
      return value > target.value;
    case '>=':
      return value >= target.value;
  }
}

/**
 * Prints measurements as an aligned table: name, value, unit, target with met/missed, note.
 * @param {Measurement[]} measurements
 */
function printTable(measurements) {
  const width = process.stdout.isTTY ? process.stdout.columns : 160;
  const rows = measurements.map((m) => {
    const target = m.target ? formatTarget(m.target, m.unit) : '';
    const met = m.target ? meets(m.value, m.target) : undefined;
    const status = met === undefined ? '' : met ? style.green('✓ met') : style.red('✗ missed');
    return { name: m.name, value: formatValue(m.value), unit: m.unit, target, status, note: m.note ?? '' };
  });
  const header = { name: 'measurement', value: 'value', unit: 'unit', target: 'target', status: '', note: 'note' };
  /** @param {'name' | 'value' | 'unit' | 'target'} key */
  const w = (key) => Math.max(...[header, ...rows].map((r) => r[key].length));
  const widths = { name: Math.min(w('name'), 48), value: w('value'), unit: w('unit'), target: w('target'), status: 8 };
  const fixed = widths.name + widths.value + widths.unit + widths.target + widths.status + 2 + 5 * 2;
  const noteWidth = Math.max(width - fixed, 20);
  /** @param {typeof header} r @param {boolean} head */
  const line = (r, head) => {
    const status = r.status + ' '.repeat(Math.max(widths.status - visibleLength(r.status), 0));
    const cells = [
      clip(r.name, widths.name).padEnd(widths.name),
      r.value.padStart(widths.value),
      r.unit.padEnd(widths.unit),
      r.target.padEnd(widths.target),
      widths.target ? status : '',
      head ? r.note : style.dim(clip(r.note, noteWidth)),
    ];
    const text = `  ${cells.join('  ')}`.trimEnd();
    return head ? style.bold(text) : text;
  };
  console.log(line(header, true));
  for (const r of rows) console.log(line(r, false));
}

// ---------------------------------------------------------------------------------------------
// Context of a run: machine, git
// ---------------------------------------------------------------------------------------------

/** @returns {Machine} */
function machine() {
  return {
    os: os.type(),
    platform: os.platform(),
    arch: os.arch(),
    kernel: os.release(),
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memoryBytes: os.totalmem(),
    node: process.version,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** @returns {{ commit: string, dirty: boolean } | null} */
function gitInfo() {
  /** @param {string[]} args */
  const git = (args) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const commit = git(['rev-parse', '--short', 'HEAD']);
    let dirty = false;
    try {
      dirty = git(['status', '--porcelain', '--untracked-files=no']) !== '';
    } catch {
      // A commit without a readable status: report it clean rather than guess.
    }
    return { commit, dirty };
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Suites
// ---------------------------------------------------------------------------------------------

/**
 * Loads every suite module; a module that fails to load is reported with its file name.
 * @returns {Promise<{ file: string, suite?: Suite, error?: unknown }[]>}
 */
async function discover() {
  const files = (await readdir(SUITES)).filter((f) => f.endsWith('.js')).sort();
  return Promise.all(
    files.map(async (file) => {
      try {
        const mod = await import(pathToFileURL(path.join(SUITES, file)).href);
        const problem = suiteProblem(mod);
        if (problem) return { file, error: new Error(`bench/suites/${file}: ${problem}`) };
        return { file, suite: /** @type {Suite} */ (mod) };
      } catch (error) {
        return { file, error };
      }
    }),
  );
}

/** @param {Record<string, unknown>} mod @returns {string | undefined} */
function suiteProblem(mod) {
  if (typeof mod.name !== 'string' || !/^[a-z0-9][a-z0-9_-]*$/.test(mod.name)) return 'export `name` must be a lower-case word (it names the results file)';
  if (typeof mod.description !== 'string') return 'export `description` must be a string';
  if (typeof mod.run !== 'function') return 'export `async run(ctx)` is missing';
  return undefined;
}

/** @param {unknown} list @returns {string | undefined} */
function measurementsProblem(list) {
  if (!Array.isArray(list)) return 'run() must return an array of measurements';
  const names = new Set();
  for (const [i, m] of list.entries()) {
    const where = `measurement #${i}${typeof m?.name === 'string' ? ` (${m.name})` : ''}`;
    if (typeof m !== 'object' || m === null) return `${where} is not an object`;
    if (typeof m.name !== 'string' || m.name === '') return `${where} has no name`;
    if (names.has(m.name)) return `${where}: the name is used twice`;
    names.add(m.name);
    if (typeof m.unit !== 'string') return `${where} has no unit`;
    if (typeof m.value !== 'number' || !Number.isFinite(m.value)) return `${where}: value must be a finite number, found ${String(m.value)}`;
    if (m.target !== undefined && !(['<', '<=', '>', '>='].includes(m.target?.op) && Number.isFinite(m.target?.value))) return `${where}: target must be { op: '<' | '<=' | '>' | '>=', value: number }`;
    if (m.note !== undefined && typeof m.note !== 'string') return `${where}: note must be a string`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Recording
// ---------------------------------------------------------------------------------------------

/** @param {SuiteResult} result */
async function record(result) {
  await mkdir(RESULTS, { recursive: true });
  const file = path.join(RESULTS, `${result.suite}.json`);
  await writeFile(`${file}.tmp`, `${JSON.stringify(result, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
  if (!existsSync(HISTORY)) {
    await writeFile(
      HISTORY,
      '# Benchmark history\n\n' +
        'One line per suite run, appended by `npm run bench` (bench/run.js). The latest full results of each\n' +
        'suite are in `bench/results/<suite>.json`; compare lines only across the same machine.\n\n' +
        '| date | suite | commit | machine | results |\n| --- | --- | --- | --- | --- |\n',
    );
  }
  await appendFile(HISTORY, `${historyLine(result)}\n`);
  return file;
}

/**
 * One Markdown table row: the measurements with targets (or the first three), and the tally.
 * @param {SuiteResult} r
 */
function historyLine(r) {
  const targeted = r.measurements.filter((m) => m.target);
  const headline = (targeted.length ? targeted : r.measurements.slice(0, 3)).map((m) => {
    const target = m.target ? ` (${formatTarget(m.target, m.unit)}: ${meets(m.value, m.target) ? 'met' : 'MISSED'})` : '';
    return `${m.name} ${formatValue(m.value)} ${m.unit}${target}`;
  });
  const missed = targeted.filter((m) => m.target && !meets(m.value, m.target)).length;
  const tally = `${r.measurements.length} measurements` + (targeted.length ? `, ${targeted.length - missed}/${targeted.length} targets met` : '');
  const commit = r.git ? `${r.git.commit}${r.git.dirty ? ' (dirty)' : ''}` : '-';
  const m = r.machine;
  const host = `${m.cpu} ×${m.cores}, ${Math.round(m.memoryBytes / 2 ** 30)} GiB, node ${m.node}, load ${m.loadAverage[0]}`;
  const cell = (/** @type {string} */ s) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return `| ${r.date} | ${r.suite} | ${commit} | ${cell(host)} | ${cell([...headline, tally].join('; '))} |`;
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

/** @param {string[]} argv @returns {Promise<number>} */
async function main(argv) {
  const flags = new Set(argv.filter((a) => a.startsWith('-')));
  const names = argv.filter((a) => !a.startsWith('-'));
  const known = new Set(['--quick', '--no-record', '--fail-on-miss', '--list', '--help', '-h']);
  const unknown = [...flags].filter((f) => !known.has(f));
  if (flags.has('--help') || flags.has('-h') || unknown.length) {
    if (unknown.length) console.error(`unknown option ${unknown.join(', ')}\n`);
    console.error(USAGE);
    return unknown.length ? 1 : 0;
  }
  const quick = flags.has('--quick');
  const recording = !quick && !flags.has('--no-record');

  const loaded = await discover();
  if (flags.has('--list')) {
    for (const { file, suite, error } of loaded) console.log(suite ? `${suite.name.padEnd(16)} ${suite.description}` : `${file.padEnd(16)} ${style.red(`cannot load: ${String(error)}`)}`);
    return 0;
  }
  if (!existsSync(DIST)) {
    console.error(`${style.red('dist/ not found')}: the suites run against the build; run \`npm run bench\` (it builds first) or \`npm run build\`.`);
    return 1;
  }

  const selected = names.length ? loaded.filter(({ file, suite }) => names.includes(file.replace(/\.js$/, '')) || (suite && names.includes(suite.name))) : loaded;
  const missing = names.filter((n) => !loaded.some(({ file, suite }) => file.replace(/\.js$/, '') === n || suite?.name === n));
  if (missing.length) {
    console.error(`${style.red('no such suite')}: ${missing.join(', ')}; the suites are ${loaded.map(({ file, suite }) => suite?.name ?? file).join(', ') || 'none'} (bench/suites/*.js)`);
    return 1;
  }
  if (!selected.length) {
    console.error('no benchmark suites in bench/suites/');
    return 1;
  }

  const git = gitInfo();
  let failed = 0;
  let missed = 0;
  let met = 0;
  /** @type {string[]} */
  const written = [];
  for (const { file, suite, error } of selected) {
    if (!suite) {
      failed++;
      console.error(`\n${style.red(`✗ bench/suites/${file} cannot be loaded`)}\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      continue;
    }
    console.log(`\n${style.bold(style.cyan(suite.name))}  ${style.dim(suite.description)}${quick ? style.yellow('  (quick run: few iterations, not recorded)') : ''}`);
    const started = new Date();
    const machineInfo = machine();
    const t0 = process.hrtime.bigint();
    /** @type {unknown} */
    let measurements;
    try {
      measurements = await suite.run({ root: ROOT, dist: DIST, quick, log: (message) => process.stderr.write(style.dim(`  ${message}\n`)) });
    } catch (err) {
      failed++;
      console.error(style.red(`✗ ${suite.name} failed:`), err instanceof Error ? (err.stack ?? err.message) : String(err));
      continue;
    }
    const durationSeconds = Math.round(Number(process.hrtime.bigint() - t0) / 1e7) / 100;
    const problem = measurementsProblem(measurements);
    if (problem) {
      failed++;
      console.error(style.red(`✗ ${suite.name} returned bad measurements: ${problem}`));
      continue;
    }
    const list = /** @type {Measurement[]} */ (measurements);
    printTable(list);
    for (const m of list) {
      if (m.target && meets(m.value, m.target)) met++;
      else if (m.target) missed++;
    }
    if (recording) {
      const file = await record({ suite: suite.name, description: suite.description, date: started.toISOString(), durationSeconds, machine: machineInfo, git, measurements: list });
      written.push(path.relative(ROOT, file));
    }
    console.log(style.dim(`  ${list.length} measurements in ${durationSeconds} s`));
  }

  const targets = met + missed ? `; targets: ${style.green(`${met} met`)}, ${missed ? style.red(`${missed} missed`) : '0 missed'}` : '';
  const failures = failed ? `; ${style.red(`${failed} failed`)}` : '';
  console.log(`\n${selected.length} suite${selected.length === 1 ? '' : 's'}${failures}${targets}`);
  if (written.length) console.log(style.dim(`recorded ${written.join(', ')} and a line in ${path.relative(ROOT, HISTORY)}`));
  else if (!recording) console.log(style.dim('not recorded (--quick or --no-record)'));
  return failed || (missed && flags.has('--fail-on-miss')) ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
