import { mkdir, readFile, readlink, stat, symlink, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Lab } from '../../src/lab/index.js';
import { startLab } from '../../src/lab/index.js';
import { applyDefinitions, cli, events, tempDefinitions, waitFor } from '../scenarios/scenario-helpers.js';

/*
 * A local user of a host plants a symlink where a file definition goes, pointing at a file outside
 * the agent's file root (standing for /etc/shadow). A real lab agent refuses to write through it,
 * leaves the target alone, and the operator sees why in `breakwater get events`.
 */

let lab: Lab;
let defs: { dir: string; cleanup: () => Promise<void> } | undefined;

beforeAll(async () => {
  lab = await startLab({ hosts: 1 });
}, 60_000);

afterAll(async () => {
  await lab?.stop();
  await defs?.cleanup();
});

describe('file definitions and planted symlinks', () => {
  it('refuses the symlink, leaves its target untouched and reports a file_failed event naming the path', async () => {
    const host = lab.hosts[0]!;
    const outside = join(host.dir, '..', `${host.name}-shadow`);
    await writeFile(outside, 'root:secret\n');
    await chmod(outside, 0o600);
    const link = join(host.dir, 'etc', 'planted', 'app.conf');
    await mkdir(join(host.dir, 'etc', 'planted'), { recursive: true });
    await symlink(outside, link);

    defs = await tempDefinitions({
      'file.yaml': 'kind: file\nname: planted-conf\npath: /etc/planted/app.conf\nmode: "0666"\nquery: host\ncontent: "owned = true\\n"\n',
    });
    await applyDefinitions(lab, defs.dir);

    const [event] = await waitFor('a file_failed event', async () => {
      const found = await events(lab, { type: 'file_failed' });
      return found.length ? found : undefined;
    }, 20_000);
    expect(event).toMatchObject({ type: 'file_failed', host: host.name, severity: 'critical' });
    expect(event?.message).toBe(`file planted-conf was not put in place on ${host.name}: ${link} is a symbolic link: refused to write through it`);

    const shown = await cli(lab, ['get', 'events', '--type', 'file_failed']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`${link} is a symbolic link`);

    expect(await readFile(outside, 'utf8')).toBe('root:secret\n');
    expect((await stat(outside)).mode & 0o7777).toBe(0o600);
    expect(await readlink(link)).toBe(outside);
  }, 60_000);
});
