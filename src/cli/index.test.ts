import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { memoryOutput } from '../../test/helpers.js';
import { main } from './index.js';

function memoryIo() {
  const { stdout, stderr, out, err } = memoryOutput();
  // No server is reachable at this address: a command that got past its flags would fail with 1, not 2.
  const io = { stdout, stderr, stdin: new PassThrough(), env: { NO_COLOR: '1', BREAKWATER_SERVER: 'http://127.0.0.1:9', BREAKWATER_TOKEN: 'bwt_x' } };
  return { io, out, err };
}

describe('breakwater token create --expires', () => {
  it('refuses a lifetime under a second instead of creating a token that never expires', async () => {
    const m = memoryIo();
    expect(await main(['token', 'create', '--role', 'agent', '--expires', '400ms'], m.io)).toBe(2);
    expect(m.err()).toContain('--expires: expected at least 1s or never, found "400ms"');
    expect(m.out()).toBe('');
  });

  it.each(['0', '2.5', 'ten'])('refuses --uses %s: a join token enrolls a whole number of agents, at least one', async (uses) => {
    const m = memoryIo();
    expect(await main(['token', 'create', '--role', 'agent', '--uses', uses], m.io)).toBe(2);
    expect(m.err()).toContain(`--uses: expected a whole number of at least 1, found "${uses}"`);
  });
});

describe('breakwater agent revoke|delete', () => {
  it.each(['revoke', 'delete'])('%s is the CLI\'s (not the agent daemon\'s), with its own help', async (sub) => {
    const m = memoryIo();
    expect(await main(['agent', sub, '--help'], m.io)).toBe(0);
    expect(m.out()).toContain(`Usage: breakwater agent ${sub} [options] <name>`);
  });

  it('needs the agent\'s name', async () => {
    const m = memoryIo();
    expect(await main(['agent', 'revoke'], m.io)).toBe(2);
    expect(m.err()).toContain("missing required argument 'name'");
  });
});
