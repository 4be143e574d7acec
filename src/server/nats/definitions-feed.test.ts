import pino from 'pino';
import { afterEach, expect, it } from 'vitest';
import { waitUntil } from '../../../test/helpers.js';
import { describeWithNatsConnections, testSubjects } from '../../../test/nats-services.js';
import { DefinitionsFeed } from './definitions-feed.js';

const quiet = pino({ level: 'silent' });

await describeWithNatsConnections('DefinitionsFeed: definitions reloaded on every replica', 'src/server/nats/definitions-feed.test.ts', 2, (connections) => {
  const feeds: DefinitionsFeed[] = [];
  afterEach(async () => {
    await Promise.all(feeds.splice(0).map((f) => f.stop()));
  });

  /** Replica a announces; replica b reloads with `reload`. */
  async function pair(reload: () => Promise<void>) {
    const subjects = testSubjects();
    const [ncA, ncB] = connections();
    const a = new DefinitionsFeed({ nc: ncA!, subjects, logger: quiet, replica: 'a' });
    const b = new DefinitionsFeed({ nc: ncB!, subjects, logger: quiet, replica: 'b' });
    let aReloads = 0;
    a.start(() => Promise.resolve(void aReloads++));
    b.start(reload);
    feeds.push(a, b);
    await Promise.all([ncA!.flush(), ncB!.flush()]);
    return { subjects, a, b, ncA: ncA!, aReloads: () => aReloads };
  }

  it('an announcement makes the other replica reload, not the announcing one; a flood during a reload makes one more reload, not one each', async () => {
    let release: () => void = () => {};
    let reloads = 0;
    const { a, b, aReloads } = await pair(() => {
      reloads++;
      return new Promise<void>((resolve) => (release = resolve));
    });
    a.announce(2);
    await waitUntil('b reloads', () => reloads === 1);
    for (let v = 3; v < 203; v++) a.announce(v);
    await waitUntil('b heard the flood', () => b.counts.heard === 201);
    release();
    await waitUntil('the second reload', () => reloads === 2);
    release();
    expect(b.counts).toMatchObject({ reloads: 2, malformed: 0, failed: 0 });
    await waitUntil('a heard its own announcements', () => a.counts.echoes === 201);
    expect(aReloads()).toBe(0);
  });

  it('reloads without an announcement every catchUpMs (an announcement lost with its replica), and not after stop', async () => {
    const subjects = testSubjects();
    let reloads = 0;
    const feed = new DefinitionsFeed({ nc: connections()[0]!, subjects, logger: quiet, replica: 'lonely', catchUpMs: 20 });
    feed.start(() => Promise.resolve(void reloads++));
    await waitUntil('two catch-up reloads', () => reloads >= 2);
    expect(feed.counts).toMatchObject({ heard: 0, failed: 0 });
    expect(feed.counts.catchUps).toBeGreaterThanOrEqual(2);
    await feed.stop();
    const stopped = reloads;
    await new Promise((r) => setTimeout(r, 100));
    expect(reloads).toBe(stopped);
  });

  it('a reload that fails is counted, and the next announcement tries again', async () => {
    let calls = 0;
    const { a, b } = await pair(() => (++calls === 1 ? Promise.reject(new Error('store unreachable')) : Promise.resolve()));
    a.announce(2);
    await waitUntil('the failed reload', () => b.counts.failed === 1);
    a.announce(3);
    await waitUntil('the second reload', () => calls === 2);
    expect(b.counts).toMatchObject({ reloads: 2, failed: 1 });
  });

  it('fuzz: hostile messages are dropped and counted, never reload, never crash; an announcement after them still reloads', async () => {
    let reloads = 0;
    const { subjects, a, b, ncA } = await pair(() => Promise.resolve(void reloads++));
    const hostile: (string | Uint8Array)[] = ['', 'null', '{}', '{"replica":"x"}', '{"replica":"x","version":0}', '{"replica":"x","version":1.5}', '{"replica":"","version":2}', `{"replica":"${'x'.repeat(200)}","version":2}`, new Uint8Array([0xc3, 0x28]), 'x'.repeat(10_000)];
    let seed = 11;
    const rand = (n: number) => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n;
    const valid = new TextEncoder().encode('{"replica":"x","version":2}');
    for (let i = 0; i < 200; i++) {
      const m = valid.slice(0, 1 + rand(valid.length));
      m[rand(m.length)] = rand(256);
      hostile.push(m);
    }
    for (const h of hostile) ncA.publish(subjects.replicaDefinitions, h);
    // On the same connection after the hostile messages, so it arrives after them.
    a.announce(5);
    await waitUntil('every message handled', () => b.counts.heard + b.counts.malformed === hostile.length + 1);
    await waitUntil('the reloads ended', () => reloads === b.counts.reloads);
    // The handcrafted ones are all malformed; a mutation may by chance be valid (then it reloads, as a valid one would).
    expect(b.counts.malformed).toBeGreaterThanOrEqual(10);
    expect(reloads).toBeGreaterThanOrEqual(1);
    expect(reloads).toBeLessThanOrEqual(b.counts.heard);
    expect(b.counts.echoes).toBe(0);
  });
});
