import { afterEach, describe, expect, it } from 'vitest';
import { ShellRunner } from '../exec/shell-runner.js';
import { SecretRunner } from './secret-runner.js';

/* The agent's secret wrapper around a real shell runner: values in as BW_SECRET_*, out of the output. */

const VALUE = 's3cr3t-Value-42';
let shell: ShellRunner | undefined;
afterEach(async () => {
  await shell?.shutdown();
});

function runner(): SecretRunner {
  shell = new ShellRunner({ maxConcurrent: 2, maxQueued: 2 });
  const r = new SecretRunner(shell);
  r.setSecrets({ 'db-password': VALUE });
  return r;
}

const spec = (command: string, secrets?: string[]) => ({ command, env: {}, timeoutMs: 10_000, maxOutputBytes: 65_536, ...(secrets ? { secrets } : {}) });

describe('SecretRunner', () => {
  it('gives a declared secret as BW_SECRET_<NAME> and redacts it from stdout, stderr and streamed chunks', async () => {
    const chunks: string[] = [];
    const r = await runner().run(spec('printf "%s %s\\n" "$BW_SECRET_DB_PASSWORD" "${#BW_SECRET_DB_PASSWORD}"; echo "$BW_SECRET_DB_PASSWORD" >&2', ['db-password']), { onOutput: (_s, c) => chunks.push(c) });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(`[secret:db-password] ${VALUE.length}\n`);
    expect(r.stderr).toBe('[secret:db-password]\n');
    expect(chunks.join('')).not.toContain(VALUE);
  });

  it('gives nothing to a command that does not declare it, and still redacts the value if the command prints it', async () => {
    const r = await runner().run(spec(`echo "[$BW_SECRET_DB_PASSWORD]"; echo ${VALUE}`));
    expect(r.stdout).toBe('[]\n[secret:db-password]\n');
  });

  it('refuses to run an action whose secret this host does not have, saying why', async () => {
    const r = await runner().run(spec('echo ran', ['api-key']));
    expect(r.stdout).toBe('');
    expect(r.error).toMatch(/^secret api-key is not available on this host: its `hosts` query does not select this host/);
  });

  it('forgets values the control plane takes back', async () => {
    const r = runner();
    r.setSecrets({});
    expect((await r.run(spec('echo ran', ['db-password']))).error).toMatch(/secret db-password is not available/);
    expect((await r.run(spec(`echo ${VALUE}`))).stdout).toBe(`${VALUE}\n`);
  });
});
