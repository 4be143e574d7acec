/*
 * What the agent's bundle (dist/breakwater-agent.js, made by tools/build-agent.mjs) loads when it
 * starts: itself and the bundler's runtime, nothing more. The NATS client (scaled mode, `--bus`)
 * and the exporter (`--metrics-listen`) are chunks loaded with import() only by the agents that use
 * them. A static import of either, even one kept only for a module's side effects, costs every
 * WebSocket agent their code as heap (the NATS chunk also loads Node's 145 root certificates), and
 * one character beyond Latin-1 doubles the heap its source takes: measured in docs/design-decisions.md
 * ("The idle agent's memory, again"). Needs `npm run build`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

const read = (file: string) => readFileSync(join(ROOT, 'dist', file), 'utf8');
/** The files a chunk imports statically (`import … from "./x.js"` and `import "./x.js"`). */
const staticImports = (code: string) => [...code.matchAll(/\bimport\s*(?:[^"'`()]*?\bfrom\s*)?["']\.\/([^"']+)["']/g)].map((m) => m[1]);
const dynamicImports = (code: string) => [...code.matchAll(/\bimport\(\s*["'`]\.\/([^"'`]+)["'`]\s*\)/g)].map((m) => m[1]);

describe('the agent bundle', () => {
  const bundle = read('breakwater-agent.js');

  it('imports only the bundler runtime statically; the NATS client and the exporter only through import()', () => {
    expect(staticImports(bundle)).toEqual(['breakwater-agent-rolldown-runtime.js']);
    expect(dynamicImports(bundle).sort()).toEqual(['breakwater-agent-exporter.js', 'breakwater-agent-nats.js']);
  });

  it('is one-byte text, every chunk: V8 holds a script\'s source as long as it runs, at two bytes a character if one needs it', () => {
    for (const file of ['breakwater-agent.js', 'breakwater-agent-nats.js', 'breakwater-agent-exporter.js']) {
      const wide = [...new Set([...read(file)].filter((ch) => (ch.codePointAt(0) as number) > 0xff))];
      expect(wide, `${file} (tools/build-agent.mjs: charset)`).toEqual([]);
    }
  });

  it('keeps the NATS client in its chunk and out of the bundle', () => {
    const sources = (file: string) => (JSON.parse(read(`${file}.map`)) as { sources: string[] }).sources;
    expect(sources('breakwater-agent-nats.js').filter((s) => /@nats-io[\\/](nkeys|transport-node|nats-core)[\\/]/.test(s)).length).toBeGreaterThan(0);
    expect(sources('breakwater-agent.js').filter((s) => /@nats-io|tweetnacl/.test(s))).toEqual([]);
  });
});
