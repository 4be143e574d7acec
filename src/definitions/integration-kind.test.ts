import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BUILTIN_CATALOGUE } from '../lang/index.js';
import type { BotDefinition, IntegrationDefinition } from './index.js';
import { formatDefinitionDiagnostic, parseDefinitions, toYaml } from './index.js';

/*
 * `kind: integration` and the bot triggers on outside alerts. Golden files: each
 * fixtures/integrations/*.yaml has a `.baseline.txt` with every diagnostic, and for a clean set the
 * export. `UPDATE_BASELINES=1 npx vitest run src/definitions/integration-kind.test.ts` rewrites them
 * (review the diff as code).
 */

const DIR = fileURLToPath(new URL('./fixtures/integrations/', import.meta.url));
const UPDATE = process.env.UPDATE_BASELINES === '1';

function baseline(file: string): string {
  const text = readFileSync(join(DIR, file), 'utf8');
  const r = parseDefinitions([{ path: file, text }], BUILTIN_CATALOGUE);
  const lines = r.diagnostics.map(formatDefinitionDiagnostic);
  if (!lines.length) for (const f of toYaml(r.definitions)) lines.push(`--- ${f.path}`, f.text.trimEnd());
  return `${lines.join('\n')}\n`;
}

describe('integration definitions: golden files', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));
  it('has cases, valid and invalid', () => {
    expect(files.filter((f) => f.startsWith('valid-')).length).toBeGreaterThan(0);
    expect(files.filter((f) => f.startsWith('invalid-')).length).toBeGreaterThan(0);
  });
  it.each(files)('%s', (file) => {
    const text = readFileSync(join(DIR, file), 'utf8');
    const r = parseDefinitions([{ path: file, text }], BUILTIN_CATALOGUE);
    // The verdict first, so a baseline can never enshrine a wrong one.
    expect(r.diagnostics.some((d) => d.severity === 'error'), 'errors').toBe(!file.startsWith('valid-'));
    const out = baseline(file);
    const path = join(DIR, file.replace(/\.yaml$/, '.baseline.txt'));
    if (UPDATE) writeFileSync(path, out);
    expect(existsSync(path), `${path} exists (UPDATE_BASELINES=1 writes it)`).toBe(true);
    expect(out).toBe(readFileSync(path, 'utf8'));
  });
});

const parse = (text: string) => parseDefinitions([{ path: 'a.yaml', text }], BUILTIN_CATALOGUE);

describe('integration definitions', () => {
  it('never repeats an inline credential in a diagnostic', () => {
    const r = parse(readFileSync(join(DIR, 'invalid-inline-secret.yaml'), 'utf8'));
    const text = JSON.stringify(r.diagnostics);
    for (const value of ['s3cr3t-Bearer-value', 'hunter2', 'another-inline-value', '0123456789abcdef']) expect(text).not.toContain(value);
    expect(r.diagnostics.map((d) => `${d.field} ${d.code}`)).toEqual(['credentials BWD_INLINE_SECRET', 'url BWD_INLINE_SECRET', 'signing_secret BWD_INLINE_SECRET', 'routing_key BWD_INLINE_SECRET']);
  });

  it('exports what it parses: the files of an export give the same definitions', () => {
    const first = parse(readFileSync(join(DIR, 'valid-all-types.yaml'), 'utf8'));
    expect(first.diagnostics).toEqual([]);
    const again = parseDefinitions(toYaml(first.definitions), BUILTIN_CATALOGUE);
    expect(again.diagnostics).toEqual([]);
    const strip = (defs: readonly unknown[]) => defs.map((d) => ({ ...(d as object), origin: undefined }));
    expect(strip(again.definitions)).toEqual(strip(first.definitions));
  });

  it('gives the alertmanager defaults: trigger label alertname, every target label', () => {
    const r = parse('kind: integration\nname: am\ntype: alertmanager\n');
    expect(r.definitions[0]).toMatchObject({ kind: 'integration', type: 'alertmanager', triggerLabel: 'alertname', targets: ['instance', 'host', 'node', 'pod'] } satisfies Partial<IntegrationDefinition>);
  });

  it('reads `on: resolved` for an external trigger, and label and annotation templates', () => {
    const r = parse(
      'kind: action\nname: note\ncommand: echo "$MSG"\nparams: { MSG: string }\n---\n' +
        'kind: bot\nname: b\ntrigger: { external: HostDown, on: resolved }\naction: note\nargs: { MSG: "${event.labels.severity} ${event.annotations.summary}" }\n',
    );
    expect(r.diagnostics).toEqual([]);
    const bot = r.definitions.find((d): d is BotDefinition => d.kind === 'bot');
    expect(bot?.trigger).toEqual({ external: 'HostDown', on: 'resolved' });
    expect(toYaml(r.definitions)[1]?.text).toContain('trigger:\n  external: HostDown\n  on: resolved\n');
  });

  it('checks a secret with no hosts (the control plane\'s own) and exports it without one', () => {
    const r = parse('kind: secret\nname: am-token\n');
    expect(r.definitions[0]).toMatchObject({ kind: 'secret', hosts: '' });
    expect(toYaml(r.definitions)[0]?.text).toBe('kind: secret\nname: am-token\n');
  });
});

describe('webhook events', () => {
  it('default to what a person acts on when `events` is left out', () => {
    const text = 'kind: secret\nname: k\n---\nkind: integration\nname: hook\ntype: webhook\nurl: https://hooks.example.com/x\nsigning_secret: { secret: k }\n';
    const r = parseDefinitions([{ path: 'hook.yaml', text }], BUILTIN_CATALOGUE);
    expect(r.diagnostics.map(formatDefinitionDiagnostic)).toEqual([]);
    const hook = r.definitions.find((d) => d.kind === 'integration') as Extract<IntegrationDefinition, { type: 'webhook' }>;
    expect(hook.events).toEqual(['fired', 'cleared', 'escalated', 'approval_requested']);
  });
});
