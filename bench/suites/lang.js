// @ts-check
/**
 * The query language front end: `analyze()` (lex, parse, check, plan) of one statement, as
 * `breakwater check`, the web UI's live diagnostics and the control plane run it on every
 * statement. Measures a typical ~200-character pipeline and every example of LANGUAGE.md, each
 * call timed on its own, after a warm-up; then single-thread throughput.
 */
import { BUILTIN_CATALOGUE, LANGUAGE_EXAMPLES, analyze, extendCatalogue } from '../../dist/lang/index.js';

export const name = 'lang';
export const description = 'analyze() (lex + parse + check + plan) of one statement, against dist/';

/** A realistic production statement: tag filters, a regex, a labelled metric, a range function, a command. 204 characters. */
const TYPICAL =
  'host | env = "prod" and region in ["eu-west-1", "eu-central-1"] and name =~ "^web-[0-9]+" | ' +
  'disk_usage{mount="/var"} > 90 and avg(cpu_usage[5m]) > 50 | `du -xsh /var/log/* 2>/dev/null | sort -h | tail -3`';

/** The examples assume this action is defined, as `breakwater check` learns from definitions. */
const CATALOGUE = extendCatalogue(BUILTIN_CATALOGUE, {
  actions: [{ name: 'restart_service', description: 'Restarts a systemd service.', resources: ['host'], params: [{ name: 'name', type: 'string', required: true }] }],
});

/** p50 of the typical pipeline: interactive checking must feel instant, even on a slow machine. */
const TYPICAL_P50_TARGET_US = 1000;

/** Keeps results alive so the optimiser cannot drop a call. */
let sink = 0;

/**
 * Times each of `iterations` calls on its own with process.hrtime.bigint.
 * @param {string} text
 * @param {number} iterations
 * @returns {Float64Array} nanoseconds, sorted
 */
function sample(text, iterations) {
  const samples = new Float64Array(iterations);
  for (let i = 0; i < iterations; i++) {
    const start = process.hrtime.bigint();
    const result = analyze(text, CATALOGUE);
    samples[i] = Number(process.hrtime.bigint() - start);
    sink += result.diagnostics.length;
  }
  return samples.sort();
}

/**
 * Calls per second over a loop of at least `seconds`, cycling through `texts`; no per-call timer.
 * @param {readonly string[]} texts
 * @param {number} seconds
 */
function throughput(texts, seconds) {
  const budget = BigInt(Math.round(seconds * 1e9));
  const start = process.hrtime.bigint();
  let calls = 0;
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let i = 0; i < 100; i++) {
      const result = analyze(/** @type {string} */ (texts[calls % texts.length]), CATALOGUE);
      sink += result.diagnostics.length;
      calls++;
    }
    elapsed = process.hrtime.bigint() - start;
  }
  return calls / (Number(elapsed) / 1e9);
}

/** Nearest-rank percentile of sorted samples. @param {Float64Array} sorted @param {number} p */
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? NaN;

/** @param {number} ns */
const us = (ns) => Math.round(ns / 10) / 100;

/**
 * @param {import('../run.js').Context} ctx
 * @returns {Promise<import('../run.js').Measurement[]>}
 */
export async function run(ctx) {
  const statements = [
    { id: 'typical', text: TYPICAL },
    ...LANGUAGE_EXAMPLES.map((text, i) => ({ id: `example ${String(i + 1).padStart(2, '0')}`, text })),
  ];
  for (const s of statements) {
    const result = analyze(s.text, CATALOGUE);
    if (!result.ok) throw new Error(`${s.id} does not analyse cleanly, so timing it would measure error paths: ${result.diagnostics.map((d) => d.code).join(', ')}\n  ${s.text}`);
  }
  const warmup = ctx.quick ? 100 : 2000;
  const iterations = ctx.quick ? 300 : 10_000;
  const seconds = ctx.quick ? 0.2 : 2;

  // Warm up on every statement before measuring any, so that the JIT has seen all their shapes.
  ctx.log(`warming up: ${warmup} rounds of ${statements.length} statements`);
  for (let i = 0; i < warmup; i++) for (const s of statements) sink += analyze(s.text, CATALOGUE).diagnostics.length;

  /** @type {import('../run.js').Measurement[]} */
  const out = [];
  ctx.log(`timing ${iterations} calls of each statement`);
  for (const s of statements) {
    const sorted = sample(s.text, iterations);
    const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
    const typical = s.id === 'typical';
    out.push(
      { name: `${s.id} · mean`, unit: 'µs', value: us(mean), note: `${s.text.length} chars: ${s.text}` },
      {
        name: `${s.id} · p50`,
        unit: 'µs',
        value: us(percentile(sorted, 0.5)),
        ...(typical ? { target: /** @type {const} */ ({ op: '<', value: TYPICAL_P50_TARGET_US }) } : {}),
      },
      { name: `${s.id} · p99`, unit: 'µs', value: us(percentile(sorted, 0.99)), ...(typical ? { note: 'includes garbage-collection pauses' } : {}) },
    );
  }

  ctx.log(`throughput: ${seconds} s per loop`);
  out.push(
    { name: 'typical · throughput', unit: 'statements/s', value: Math.round(throughput([TYPICAL], seconds)), note: `one thread, analyze() in a loop for ${seconds} s` },
    { name: 'examples · throughput', unit: 'statements/s', value: Math.round(throughput(LANGUAGE_EXAMPLES, seconds)), note: `one thread, the ${LANGUAGE_EXAMPLES.length} examples in turn for ${seconds} s` },
  );
  if (sink < 0) ctx.log(String(sink));
  return out;
}
