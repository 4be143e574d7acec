import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { closeAppsAfterEach, injectApp } from '../../../test/inject-app.js';
import { ControlPlaneMetrics } from '../metrics/index.js';
import { sampleValue } from '../../../test/exposition.js';
import { metricsRoutes } from './metrics-routes.js';

closeAppsAfterEach();

const metrics = () => {
  const m = new ControlPlaneMetrics(pino({ level: 'silent' }));
  m.statementFinished('succeeded', 0.1, 2);
  return m;
};

describe('GET /metrics', () => {
  it('by default needs a token, as Prometheus sends it (Authorization: Bearer): refused without one (401, audited), served to a viewer', async () => {
    const t = await injectApp(() => metricsRoutes({ metrics: metrics(), metricsAuth: 'token' }));
    const none = await t.call('GET', '/metrics');
    expect(none.status).toBe(401);
    expect(none.json.code).toBe('BW_ERR_UNAUTHENTICATED');
    expect((await t.call('GET', '/metrics', { secret: 'bwt_wrong' })).status).toBe(401);
    expect((await t.audit()).map((e) => [e.action, e.target, e.outcome])).toContainEqual(['request', 'GET /metrics', 'denied']);
    const ok = await t.call('GET', '/metrics', 'viewer');
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(sampleValue(ok.text, 'breakwater_queries_total{outcome="succeeded"}')).toBe(1);
    expect(ok.text).toContain('# HELP breakwater_agents ');
  });

  it('with --metrics-auth none, answers without a token', async () => {
    const t = await injectApp(() => metricsRoutes({ metrics: metrics(), metricsAuth: 'none' }));
    const r = await t.call('GET', '/metrics');
    expect(r.status).toBe(200);
    expect(sampleValue(r.text, 'breakwater_query_fanout_agents_sum')).toBe(2);
  });
});

describe('unknown paths', () => {
  it('are 404: the catalogue JSON under /api/, a plain 404 elsewhere, whatever the method', async () => {
    const t = await injectApp(() => metricsRoutes({ metrics: metrics(), metricsAuth: 'none' }));
    const api = await t.call('GET', '/api/v1/metricz');
    expect(api).toMatchObject({ status: 404, json: { code: 'BW_ERR_NOT_FOUND', message: 'no route GET /api/v1/metricz' } });
    for (const [method, url] of [['GET', '/metricz'], ['GET', '/metrics/x'], ['POST', '/metricz'], ['DELETE', '/fleet'], ['GET', '/assets/nope.js']] as const) {
      const r = await t.call(method, url);
      expect(r.status, `${method} ${url}`).toBe(404);
      expect(r.headers['content-type'], `${method} ${url}`).toBe('text/plain; charset=utf-8');
      expect(r.text).not.toContain('<');
    }
  });
});
