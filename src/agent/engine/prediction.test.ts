import { describe, expect, it } from 'vitest';

import { parseDefinitions } from '../../definitions/index.js';
import type { Expr } from '../../lang/index.js';
import { BUILTIN_CATALOGUE, analyze } from '../../lang/index.js';
import type { FleetEvent } from '../../protocol/index.js';
import { AlarmPrediction, approximately, describePrediction } from '../../protocol/index.js';
import type { CommandRunner } from '../exec/types.js';
import { MemoryTsdb } from '../metrics/tsdb.js';
import type { HostFacts, MetricSource } from '../metrics/types.js';
import { executePhase } from '../query/executor.js';
import { hostResource } from '../query/resources.js';
import { AlarmEngine } from './alarms.js';
import { compileDefinitions } from './compile.js';
import { predictedCrossing, predictiveCondition } from './prediction.js';

/*
 * Predictive alarms: which fire conditions are predictive, when the fitted line crosses the
 * threshold, and (with the real compiler, executor and per-second store, no fakes but the host's
 * facts) the alarm_fired event of a disk filling steadily, forecast included.
 */

const conditionOf = (fire: string): Expr => {
  const stage = analyze(`host | ${fire}`, BUILTIN_CATALOGUE).ast.stages.at(-1);
  if (stage?.kind !== 'FilterStage') throw new Error(`not a filter: ${fire}`);
  return stage.condition;
};

describe('predictiveCondition: a comparison of predict_linear(...) with a number', () => {
  it('reads the metric, the threshold as written and the direction, either way round', () => {
    expect(predictiveCondition(conditionOf('predict_linear(disk_usage{mount="/data"}[10m], 4h) > 100'))).toEqual({ subject: 'disk_usage{mount=/data}', threshold: 100, thresholdText: '100', rising: true });
    expect(predictiveCondition(conditionOf('1GB >= predict_linear(x = disk_free_bytes{mount="/"}[1h], horizon = 2h)'))).toEqual({ subject: 'disk_free_bytes{mount=/}', threshold: 1e9, thresholdText: '1GB', rising: false });
    expect(predictiveCondition(conditionOf('predict_linear(load1[5m], 10m) < -1'))).toMatchObject({ threshold: -1, rising: false });
  });

  it('is undefined for anything else', () => {
    for (const fire of ['disk_usage{mount="/data"} > 90', 'predict_linear(load1[5m], 1m) = 3', 'predict_linear(load1[5m], 1m) > load1', 'deriv(load1[5m]) > 1', 'predict_linear(load1[5m], 1m) > 3 and load1 > 1']) {
      expect(predictiveCondition(conditionOf(fire))).toBeUndefined();
    }
  });
});

describe('predictedCrossing: when the fitted line reaches the threshold', () => {
  const NOW = 1_780_000_000_000;
  it('rising to it, or falling to it', () => {
    expect(predictedCrossing(60, 40 / 13_200, { threshold: 100, rising: true }, NOW)).toEqual({ threshold: 100, seconds: 13_200, at: NOW + 13_200_000 });
    expect(predictedCrossing(5e9, -1e6, { threshold: 1e9, rising: false }, NOW)).toEqual({ threshold: 1e9, seconds: 4000, at: NOW + 4_000_000 });
  });

  it('0 s when the line is past the threshold already', () => {
    expect(predictedCrossing(101, 0.5, { threshold: 100, rising: true }, NOW)).toEqual({ threshold: 100, seconds: 0, at: NOW });
  });

  it('none when the line is level or heads away, or crosses past ten years', () => {
    expect(predictedCrossing(60, 0, { threshold: 100, rising: true }, NOW)).toBeUndefined();
    expect(predictedCrossing(60, -1, { threshold: 100, rising: true }, NOW)).toBeUndefined();
    expect(predictedCrossing(60, 1e-9, { threshold: 100, rising: true }, NOW)).toBeUndefined();
    expect(predictedCrossing(Number.NaN, 1, { threshold: 100, rising: true }, NOW)).toBeUndefined();
  });
});

describe('the forecast in words', () => {
  it('rounds to two units at most', () => {
    expect([45, 90, 719, 13_200, 3600, 86_400 * 2 + 5 * 3600, 86_400 * 3].map(approximately)).toEqual(['~45 s', '~2 min', '~12 min', '~3 h 40 min', '~1 h', '~2 d 5 h', '~3 d']);
    expect(describePrediction('disk_usage{mount=/data}', '100', 13_200)).toBe('disk_usage{mount=/data} reaches 100 in ~3 h 40 min');
    expect(describePrediction('disk_usage{mount=/data}', '100', 0)).toBe('disk_usage{mount=/data} has reached 100');
  });
});

describe('a predictive alarm on the agent: the event carries the forecast', () => {
  const HOST = 'db-1';
  const T0 = 1_780_000_020_000;
  const FACTS: HostFacts = { hostname: HOST, machineId: 'm-1', os: 'linux', distro: 'debian 12', arch: 'x86_64', kernel: '6.1.0', ip: '10.0.0.9' };
  const noCommands: CommandRunner = { run: () => Promise.reject(new Error('no commands here')), active: 0 };
  const noSource: MetricSource = { facts: async () => FACTS, collect: async () => ({ time: T0, host: [], processes: [] }), onDemand: async () => undefined };

  const ALARM = `
kind: alarm
name: data-filling
query: host
fire: predict_linear(disk_usage{mount="/data"}[10m], 4h) > 100
severity: warning
interval: 1s
`;

  it('fires 4 h ahead of a disk filling by 1 % per 8.25 min, and says /data reaches 100 in ~3 h 40 min', async () => {
    const { definitions, diagnostics } = parseDefinitions([{ path: 'alarms.yaml', text: ALARM }], BUILTIN_CATALOGUE);
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const [alarm] = compileDefinitions(1, definitions, BUILTIN_CATALOGUE).alarms;
    if (!alarm) throw new Error('the alarm did not compile');
    expect(alarm.prediction).toEqual({ subject: 'disk_usage{mount=/data}', threshold: 100, thresholdText: '100', rising: true });

    // Ten minutes of /data climbing linearly to 60 % now, at 40 % per 13,200 s, with a gap of missing seconds.
    const slope = 40 / 13_200;
    const now = T0 + 600_000;
    const tsdb = new MemoryTsdb({ clock: () => now });
    for (let s = 0; s <= 600; s++) {
      if (s > 200 && s < 260) continue;
      tsdb.append('host', T0 + s * 1000, [{ name: 'disk_usage', labels: { mount: '/data', device: 'tmpfs', fstype: 'tmpfs' }, value: 60 - slope * (600 - s) }]);
    }
    const host = hostResource(HOST, FACTS, {}, '0.1.0');
    const deps = { resources: () => ({ host, processes: [] }), tsdb, source: noSource, runner: noCommands, action: () => undefined, limits: { commandTimeoutMs: 1000, maxOutputBytes: 1024 }, now: () => now };
    const events: FleetEvent[] = [];
    const engine = new AlarmEngine(HOST, (phase, targets) => executePhase(phase, targets, deps, new AbortController().signal), (t) => events.push(t.event), (_, message) => {
      throw new Error(message);
    });
    await engine.tick([alarm], now);

    expect(events).toHaveLength(1);
    const [fired] = events;
    expect(fired?.type).toBe('alarm_fired');
    // The fire value is the line 4 h on: 60 + 14,400 × slope (the store keeps float32 samples).
    expect(fired?.value).toBeCloseTo(60 + 14_400 * slope, 3);
    expect(AlarmPrediction.parse(fired?.details.predicted)).toEqual({ threshold: 100, seconds: 13_200, at: now + 13_200_000 });
    expect(fired?.message).toBe('alarm data-filling fired on db-1 (predicted value 103.64): disk_usage{mount=/data} reaches 100 in ~3 h 40 min');
  });
});
