import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterEach } from 'vitest';
import { buildApp } from '../src/server/api/app.js';
import type { Route } from '../src/server/api/route.js';
import { createToken } from '../src/server/auth.js';
import type { HttpLimits } from '../src/server/index.js';
import { HTTP_LIMITS } from '../src/server/index.js';
import type { Clock } from '../src/server/fleet/index.js';
import { FakeClock } from '../src/server/fleet/fake-clock.test-support.js';
import { FakeFleet } from '../src/server/fleet/fake-fleet.test-support.js';
import type { AuditRecord, Store } from '../src/server/store/index.js';
import { openSqliteStore } from '../src/server/store/index.js';

/*
 * The control plane's HTTP app in-process for route tests: buildApp with a real SQLite store in a
 * temporary directory, called with fastify's app.inject (no port), a token per role.
 */

export type TestRole = 'viewer' | 'operator' | 'admin';

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, unknown>;
  readonly text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly json: any;
}

export interface InjectedApp {
  readonly app: FastifyInstance;
  readonly store: Store;
  /** A token's secret per role; each token is named after its role. */
  readonly tokens: Readonly<Record<TestRole, string>>;
  /** Calls the app as `as` (a role's token, another secret, or none). */
  call(method: string, url: string, as?: TestRole | { secret: string } | undefined, body?: unknown): Promise<Answer>;
  /** The audit log, oldest first. */
  audit(): Promise<AuditRecord[]>;
  close(): Promise<void>;
}

const open = new Set<InjectedApp>();

/** Closes, after each test of the calling file, every app the test made. */
export function closeAppsAfterEach(): void {
  afterEach(async () => {
    for (const app of open) await app.close();
    open.clear();
  });
}

/** A clock the test moves by hand. */
export function manualClock(start = 1_760_000_000_000): Clock & { set(ms: number): void } {
  let now = start;
  return { now: () => now, set: (ms) => void (now = ms) };
}

/**
 * The app serving `routes(store)`, ready and not listening.
 *
 * @example
 * const t = await injectApp((store) => auditRoutes({ store }));
 * expect((await t.call('GET', '/api/v1/audit', 'operator')).status).toBe(200);
 */
export async function injectApp(routes: (store: Store) => Route[], options: { clock?: Clock; limits?: Partial<HttpLimits> } = {}): Promise<InjectedApp> {
  const dir = mkdtempSync(join(tmpdir(), 'bw-inject-'));
  const store = openSqliteStore(join(dir, 'breakwater.db'));
  await store.migrate();
  const tokens = {} as Record<TestRole, string>;
  for (const role of ['viewer', 'operator', 'admin'] as const) tokens[role] = (await createToken(store, role, role, 'test')).secret;
  const { app } = buildApp({
    routes: routes(store),
    store,
    logger: pino({ level: 'silent' }),
    limits: { ...HTTP_LIMITS, ...options.limits },
    version: 'test',
    webDir: dir,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  await app.ready();
  const injected: InjectedApp = {
    app,
    store,
    tokens,
    async call(method, url, as, body) {
      const secret = as === undefined ? undefined : typeof as === 'string' ? tokens[as] : as.secret;
      const headers: Record<string, string> = secret ? { authorization: `Bearer ${secret}` } : {};
      // A string is sent as it is, as JSON (a malformed body); anything else is serialised by inject.
      if (typeof body === 'string') headers['content-type'] = 'application/json';
      const res = await app.inject({ method: method as 'GET', url, headers, ...(body === undefined ? {} : { payload: body as string | object }) });
      let json: unknown;
      try {
        json = JSON.parse(res.body);
      } catch {
        json = undefined;
      }
      return { status: res.statusCode, headers: res.headers, text: res.body, json };
    },
    audit: async () => (await store.listAudit({ limit: 1000 })).reverse(),
    async close() {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  open.add(injected);
  return injected;
}

/**
 * A fleet of hosts held in memory (the shared FakeFleet): connected ones take control messages
 * (`log.sent`); queries are not part of the routes these tests drive, so a query phase is refused.
 */
export function fakeFleet(hosts: readonly { name: string; connected: boolean }[] = []): FakeFleet {
  return new FakeFleet(new FakeClock(), hosts.map((h) => ({ name: h.name, offline: !h.connected, refuses: true })));
}
