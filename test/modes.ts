import { describe } from 'vitest';
import type { LabOptions } from '../src/lab/index.js';
import { PG_URL, describeWithService, probePostgres } from './helpers.js';
import { NATS_URL, probeNats } from './nats-services.js';

/*
 * The two ways Breakwater runs (issue 11): one embedded control plane on SQLite with agents on
 * WebSocket, or the scaled mode (two replicas on PostgreSQL and NATS JetStream, agents on NATS).
 * An end-to-end suite written once against a `LabMode` runs in both, so the scaled mode is held to
 * the same behaviour as the embedded one.
 */

/** How a suite starts its lab in one mode. */
export interface LabMode {
  readonly name: 'embedded' | 'scaled';
  /** The suite's lab options, made into this mode's. */
  lab(options: LabOptions): LabOptions;
}

/** Replicas of a scaled lab: two, the fewest that show state shared across control planes. */
const SCALED_REPLICAS = 2;

const EMBEDDED: LabMode = { name: 'embedded', lab: (options) => options };

const SCALED: LabMode = {
  name: 'scaled',
  lab: (options) => ({ ...options, scaled: { replicas: SCALED_REPLICAS, postgres: PG_URL, nats: NATS_URL } }),
};

/**
 * One describe block per mode, named `<name> [embedded]` and `<name> [scaled]`; the scaled one
 * needs PostgreSQL and NATS with JetStream (skipped loudly without them, or failing under
 * BREAKWATER_REQUIRE_SERVICES=1, as CI sets).
 * Blocks run one after the other, so the two labs of a file never run at the same time.
 *
 * @example
 * await describeInModes('fleet queries', 'test/e2e-fleet.test.ts', (mode) => {
 *   beforeAll(async () => { lab = await startLab(mode.lab({ hosts: 4 })); });
 * });
 */
export async function describeInModes(name: string, file: string, body: (mode: LabMode) => void): Promise<void> {
  describe(`${name} [embedded]`, () => body(EMBEDDED));
  const unreachable = (await probePostgres()) ?? (await probeNats());
  describeWithService({ service: 'PostgreSQL and NATS with JetStream', url: `${PG_URL} and ${NATS_URL}`, unreachable }, `${name} [scaled]`, file, () => body(SCALED));
}
