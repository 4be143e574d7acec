import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAgent, resolveAgentConfig } from '../src/agent/index.js';

/*
 * A real agent (in this process) with the host's /proc somewhere else, as in a Kubernetes pod
 * (--host-proc): a symbolic link stands for the read-only bind mount. Its --health-file shows that
 * metric collection passes end through it, and the state the readiness probe reads. No control
 * plane: the agent's connection attempts fail and it backs off, collecting all the while.
 */

const dir = mkdtempSync(join(tmpdir(), 'bw-host-proc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts an agent reading `hostProc`, waits `ms`, stops it; the health file's text and how old it is, the processes it lists. */
async function runAgent(name: string, hostProc: string, ms: number): Promise<{ text: string; ageMs: number; pids: (string | undefined)[] }> {
  const healthFile = join(dir, `${name}.health`);
  const config = resolveAgentConfig({ server: 'http://127.0.0.1:1', name, dataDir: join(dir, name), hostProc, healthFile, collectInterval: '100ms', drainTimeout: '1s' }, {});
  const agent = await createAgent(config);
  await agent.start();
  try {
    // Passes end every 100 ms; the file's time is the last one's (or the start, without any).
    await new Promise((r) => setTimeout(r, ms));
    const rows = await agent.runPhase({ where: 'agent', resource: 'process', steps: [] });
    return { text: readFileSync(healthFile, 'utf8'), ageMs: Date.now() - statSync(healthFile).mtimeMs, pids: rows.map((r) => r.resource?.id.split('/')[1]) };
  } finally {
    await agent.stop();
  }
}

describe('an agent reading the host\'s /proc under another path (--host-proc)', () => {
  it('collects through it, and keeps its health file: state and the last pass', async () => {
    symlinkSync('/proc', join(dir, 'proc-link'));
    const { text, ageMs, pids } = await runAgent('relocated', join(dir, 'proc-link'), 2_500);
    expect(['connecting\n', 'backoff\n']).toContain(text);
    expect(ageMs).toBeLessThan(1_000);
    expect(pids).toContain(String(process.pid));
  }, 30_000);

  it('reads no other /proc: with an empty folder there, it lists no process', async () => {
    mkdirSync(join(dir, 'empty-proc'));
    const { pids } = await runAgent('empty', join(dir, 'empty-proc'), 300);
    expect(pids).toEqual([]);
  }, 30_000);
});
