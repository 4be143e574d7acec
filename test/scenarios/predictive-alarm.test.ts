import { statfsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../../src/lab/index.js';
import type { AlarmPrediction } from '../../src/protocol/index.js';
import { cli, events, labWithDefinitions, query, waitFor } from './scenario-helpers.js';

/*
 * A predictive alarm with a real lab agent: a file grows steadily on the host's /data (a tmpfs the
 * lab mounted), and predict_linear fires while the disk is far from full, its event saying when the
 * fitted line reaches the threshold. Then a back-test of the same alarm over the recorded history
 * finds the firing too, through the agent's own evaluation.
 */

const THRESHOLD = 95;
const ALARM = `
kind: alarm
name: data-filling
description: /data fills up within a minute at its present rate.
query: host
fire: predict_linear(disk_usage{mount="/data"}[15s], 60s) > ${THRESHOLD}
severity: warning
interval: 1s
`;

describe('a predictive alarm on a real agent', () => {
  let lab: Lab;
  let dir: string;
  let stop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ lab, dir, stop } = await labWithDefinitions({ hosts: 1 }, { 'predictive.yaml': ALARM }));
  }, 90_000);

  afterAll(async () => {
    await stop?.();
  });

  it('fires before /data is full, with the predicted time to the threshold in the event', async () => {
    const [host] = lab.hosts;
    if (!host) throw new Error('a host expected');
    const since = Date.now();
    // /data grows by 1 % of its size every 250 ms (one new file each time) from where it is, up to 85 %: never full.
    const st = statfsSync(host.dataDir);
    const start = Math.ceil((100 * (st.blocks - st.bfree)) / st.blocks) + 1;
    const written: { time: number; percent: number }[] = [];
    let growing = true;
    const grower = (async () => {
      for (let percent = start; growing && percent <= 85; percent++) {
        written.push({ time: await lab.fillDisk(host, percent, `grow-${percent}.log`), percent });
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    const fired = await waitFor('the predictive alarm to fire', async () => (await events(lab, { type: 'alarm_fired', alarm: 'data-filling', since }))[0], 30_000, 100);
    // A live query sees the same trend: rising, and the newest sample above the window's mean.
    const [row] = await query(lab, 'host | deriv(disk_usage{mount="/data"}[15s]) | zscore(disk_usage{mount="/data"}[15s])');
    growing = false;
    await grower;
    expect(row?.values['deriv(disk_usage{mount="/data"}[15s])']).toBeGreaterThan(0);
    expect(row?.values['zscore(disk_usage{mount="/data"}[15s])']).toBeGreaterThan(0);

    // Fired while the disk was still well below the threshold.
    const before = written.filter((w) => w.time <= fired.time).at(-1);
    expect(before?.percent ?? 0).toBeLessThan(THRESHOLD - 20);
    // The forecast: the threshold, a time ahead within the condition's horizon, and when that is.
    const predicted = fired.details.predicted as AlarmPrediction;
    expect(predicted.threshold).toBe(THRESHOLD);
    expect(predicted.seconds).toBeGreaterThan(0);
    expect(predicted.seconds).toBeLessThanOrEqual(60);
    expect(predicted.at).toBe(fired.time + predicted.seconds * 1000);
    expect(fired.message).toMatch(new RegExp(`^alarm data-filling fired on ${host.name} \\(predicted value [\\d.]+\\): disk_usage\\{mount=/data\\} reaches ${THRESHOLD} in ~\\d+ (s|min)$`));
    expect(fired.value).toBeGreaterThan(THRESHOLD);

    // The CLI's events listing says it as the message does.
    const listed = await cli(lab, ['get', 'events', '--type', 'alarm_fired', '--grep', 'data-filling']);
    expect(listed.stdout).toContain(`disk_usage{mount=/data} reaches ${THRESHOLD} in ~`);
  }, 60_000);

  it('a back-test of the alarm over the recorded history finds the firing, with its forecast', async () => {
    const [host] = lab.hosts;
    if (!host) throw new Error('a host expected');
    const file = join(dir, 'predictive.yaml');
    const r = await cli(lab, ['backtest', file, '--hours', '0.05', '--json']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as { hosts: { host: string; error: string | null; transitions: { state: string; value: number | null; predicted?: AlarmPrediction }[] }[] };
    const mine = result.hosts.find((h) => h.host === host.name);
    expect(mine?.error).toBeNull();
    const fired = mine?.transitions.filter((t) => t.state === 'fired') ?? [];
    expect(fired.length).toBeGreaterThanOrEqual(1);
    expect(fired[0]?.value).toBeGreaterThan(THRESHOLD);
    expect(fired[0]?.predicted).toMatchObject({ threshold: THRESHOLD });

    const human = await cli(lab, ['backtest', file, '--hours', '0.05']);
    expect(human.stdout).toMatch(new RegExp(`fired .* reaches ${THRESHOLD} in ~\\d+ (s|min)`));
  }, 30_000);
});
