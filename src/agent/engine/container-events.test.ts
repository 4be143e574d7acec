import { describe, expect, it } from 'vitest';
import { parseDefinitions } from '../../definitions/index.js';
import { BUILTIN_CATALOGUE } from '../../lang/index.js';
import type { FleetEvent } from '../../protocol/index.js';
import type { ContainerInfo } from '../containers/catalog.js';
import type { CommandSpec } from '../exec/types.js';
import type { AgentResource } from '../query/resources.js';
import { containerResource } from '../query/resources.js';
import { BotEngine } from './bots.js';
import { compileDefinitions } from './compile.js';
import { ContainerEventWatch } from './container-events.js';

const HOST = 'web-1';
const id = (n: number) => String(n).repeat(64).slice(0, 64);
const container = (n: number, initPid: number, labels: Record<string, string> = {}, name = `c${n}`): AgentResource => {
  const info: ContainerInfo = { id: id(n), runtime: 'podman', cgroupPath: `/libpod_parent/libpod-${id(n)}`, initPid, pids: [initPid], name, image: '', state: 'running', created: undefined, labels, metadataFrom: 'engine' };
  return containerResource(HOST, info);
};
const pod = (container: string) => ({ 'io.kubernetes.pod.name': 'checkout', 'io.kubernetes.pod.namespace': 'shop', 'io.kubernetes.container.name': container });

describe('ContainerEventWatch', () => {
  it('learns on the first pass, then sees a restart as a new init pid under the same id', () => {
    const watch = new ContainerEventWatch();
    const none = () => undefined;
    expect(watch.observe([container(1, 100)], none)).toEqual([]);
    expect(watch.observe([container(1, 100)], none)).toEqual([]);
    // Stopped for a pass, then back with a new init process (docker and podman restart keep the id).
    expect(watch.observe([], none)).toEqual([]);
    const back = container(1, 200);
    expect(watch.observe([back], none)).toEqual([{ event: 'container_restarted', resource: back }]);
  });

  it('follows a pod’s container by pod and name: the kubelet restarts it as a new container', () => {
    const watch = new ContainerEventWatch();
    watch.observe([container(1, 100, pod('web')), container(2, 101, pod('sidecar'))], () => undefined);
    const again = container(3, 300, pod('web'));
    expect(watch.observe([again, container(2, 101, pod('sidecar'))], () => undefined)).toEqual([{ event: 'container_restarted', resource: again }]);
  });

  it('sees an OOM kill as its count going up, not a first count or a restart’s new count', () => {
    const watch = new ContainerEventWatch();
    const counts = new Map<string, number>();
    const oom = (r: AgentResource) => counts.get(String(r.attrs.id));
    counts.set(id(1), 2);
    expect(watch.observe([container(1, 100)], oom)).toEqual([]);
    expect(watch.observe([container(1, 100)], oom)).toEqual([]);
    counts.set(id(1), 3);
    expect(watch.observe([container(1, 100)], oom).map((e) => e.event)).toEqual(['container_oom_killed']);
    counts.set(id(1), 0);
    expect(watch.observe([container(1, 150)], oom).map((e) => e.event)).toEqual(['container_restarted']);
  });

  it('compares a count with the last one read when a pass could not read one, within one incarnation', () => {
    const watch = new ContainerEventWatch();
    const counts = new Map<string, number | undefined>([[id(1), 2]]);
    const oom = (r: AgentResource) => counts.get(String(r.attrs.id));
    watch.observe([container(1, 100)], oom);
    counts.set(id(1), undefined); // memory.oom_control unreadable this pass, and the kill happens meanwhile
    expect(watch.observe([container(1, 100)], oom)).toEqual([]);
    counts.set(id(1), 3);
    expect(watch.observe([container(1, 100)], oom).map((e) => e.event)).toEqual(['container_oom_killed']);
    // A restart's first pass without a count does not carry the old incarnation's over.
    counts.set(id(1), undefined);
    expect(watch.observe([container(1, 200)], oom).map((e) => e.event)).toEqual(['container_restarted']);
    counts.set(id(1), 1);
    expect(watch.observe([container(1, 200)], oom)).toEqual([]);
  });

  it('stays bounded on a host that churns through containers: the longest gone are forgotten', () => {
    const watch = new ContainerEventWatch();
    const withId = (r: AgentResource, newId: string): AgentResource => ({ ...r, attrs: { ...r.attrs, id: newId } });
    for (let n = 0; n < 3000; n++) watch.observe([withId(container(2, 5), `gone-${n}`)], () => undefined);
    // Seen again with a new init pid: a restart if still remembered, nothing if forgotten.
    expect(watch.observe([withId(container(2, 6), 'gone-2999')], () => undefined).map((e) => e.event)).toEqual(['container_restarted']);
    expect(watch.observe([withId(container(2, 6), 'gone-0')], () => undefined)).toEqual([]);
  });
});

describe('BotEngine: container triggers', () => {
  const { definitions, diagnostics } = parseDefinitions(
    [
      {
        path: 'c.yaml',
        text: `kind: action\nname: note\ncommand: echo "$BW_CONTAINER_NAME"\nresources: [container]\n---\nkind: bot\nname: web-oom\ntrigger: { event: container_oom_killed, container: web }\naction: note\ncooldown: 0s\n---\nkind: bot\nname: any-restart\ntrigger: { event: container_restarted }\naction: note\ncooldown: 0s\n`,
      },
    ],
    BUILTIN_CATALOGUE,
  );
  const defs = compileDefinitions(1, definitions, BUILTIN_CATALOGUE);
  const setup = () => {
    const events: FleetEvent[] = [];
    const specs: CommandSpec[] = [];
    const engine = new BotEngine({
      host: HOST,
      runner: { active: 0, run: async (spec) => (specs.push(spec), { exitCode: 0, signal: null, stdout: '', stderr: '', stdoutTruncated: false, stderrTruncated: false, durationMs: 1, timedOut: false, cancelled: false }) },
      permit: async () => ({ allowed: true, reason: '' }),
      approval: () => true,
      emit: (e) => events.push(e),
      firing: () => false,
      inScope: async () => true,
      now: () => 1_700_000_000_000,
    });
    return { engine, events, specs };
  };

  it('sets off the bots of that event and container name, and runs their action inside the container, never on the host', async () => {
    expect(diagnostics).toEqual([]);
    const t = setup();
    await t.engine.handle({ kind: 'container', event: 'container_oom_killed', resource: container(1, 100, {}, 'api') }, defs);
    expect(t.events).toEqual([]);
    await t.engine.handle({ kind: 'container', event: 'container_oom_killed', resource: container(1, 100, {}, 'web') }, defs);
    await t.engine.handle({ kind: 'container', event: 'container_restarted', resource: container(1, 100, {}, 'api') }, defs);
    expect(t.events.map((e) => e.type)).toEqual(['bot_ran', 'bot_ran']);
    expect(t.events.map((e) => e.message)).toEqual([expect.stringContaining('web-oom'), expect.stringContaining('any-restart')]);
    expect(t.specs.map((s) => s.container)).toEqual([{ id: id(1), initPid: 100 }, { id: id(1), initPid: 100 }]);
  });
});
