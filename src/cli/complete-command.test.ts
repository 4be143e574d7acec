import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { memoryOutput } from '../../test/helpers.js';
import { main } from './index.js';

/** `breakwater __complete <words…>` in-process, offline (no control plane configured): candidates and the directive. */
async function completeWords(words: readonly string[], env: NodeJS.ProcessEnv = {}) {
  const { stdout, stderr, out, err } = memoryOutput();
  const code = await main(['__complete', ...words], { stdout, stderr, stdin: new PassThrough(), env });
  const lines = out().split('\n').slice(0, -1);
  return { code, err: err(), directive: lines.at(-1), values: lines.slice(0, -1).map((l) => l.split('\t')[0]) };
}

describe('breakwater __complete', () => {
  it('completes sub-commands from the program, with their descriptions', async () => {
    const r = await completeWords(['ex']);
    expect(r.code).toBe(0);
    expect(r.values).toEqual(['export', 'explain']);
    expect(r.directive).toBe(':0');
  });

  it("completes a sub-command's flags, and a flag's choices", async () => {
    expect((await completeWords(['run', '--d'])).values).toEqual(['--dry-run']);
    expect((await completeWords(['token', 'create', '--role', ''])).values).toEqual(['agent', 'viewer', 'operator', 'admin']);
    expect((await completeWords(['completion', ''])).values).toEqual(['bash', 'zsh', 'fish']);
  });

  it('a flag that takes a file hands over to file name completion', async () => {
    expect((await completeWords(['check', '-f', ''])).directive).toBe(':2');
  });

  it("completes inside a pipeline: stages after |, a metric's labels; no space after the word", async () => {
    const stages = await completeWords(['run', "'host | gro"]);
    expect(stages.values).toEqual(['host | group_by']);
    expect(stages.directive).toBe(':1');
    expect((await completeWords(['check', 'host | disk_usage{'])).values).toEqual(['host | disk_usage{mount', 'host | disk_usage{device', 'host | disk_usage{fstype']);
  });

  it('offline, a tag value is not known: nothing is offered, and nothing is printed on stderr', async () => {
    const r = await completeWords(['run', '--server', 'http://127.0.0.1:9', '--token', 'bwt_x', 'host | role = "w']);
    expect(r).toMatchObject({ code: 0, err: '', values: [], directive: ':1' });
  });

  it('completes the names explain knows', async () => {
    expect((await completeWords(['explain', 'disk_'])).values).toEqual(['disk_free_bytes', 'disk_usage']);
  });

  it('any words at all: exit 0, a directive line last, never a stack trace', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('run', 'get', '--server', '--', '-f', "'host | ", 'token', 'create', '--role')), { maxLength: 6 }), async (words) => {
        const r = await completeWords(words);
        expect(r.code).toBe(0);
        expect(r.directive).toMatch(/^:\d$/);
        expect(r.err).toBe('');
      }),
      { seed: 12, numRuns: 150 },
    );
  });

  it("a control plane answering nonsense: the built-in catalogue, and the agents' tags that make sense (none with a line break)", async () => {
    const server = createServer((req, res) => {
      const body = req.url === '/api/v1/catalogue' ? '{"resources": 5}' : '[{"tags": {"role": "web"}, "attributes": null}, 7, {"tags": "x"}, {"tags": {"role": ["db"]}, "attributes": {}}, {"tags": {"role": "w\\nx", "zone": "a\\tb"}, "attributes": {}}]';
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const env = { BREAKWATER_SERVER: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, BREAKWATER_TOKEN: 'bwt_x' };
      expect((await completeWords(['run', 'host | role = "'], env)).values).toEqual(['host | role = "web"']);
      expect((await completeWords(['run', 'host | gro'], env)).values).toEqual(['host | group_by']);
      expect((await completeWords(['run', 'host | zone = "'], env)).values).toEqual([]);
    } finally {
      server.close();
    }
  });
});
