import { BreakwaterError } from '../protocol/index.js';
import { untilSignal } from './daemon-support.js';
import type { Io } from './io.js';

export interface ServerFlags {
  maxTargets?: string;
  webhook?: string[];
  pagerdutyUrl?: string;
  publicUrl?: string;
  port?: string;
  host?: string;
  data?: string;
  store?: string;
  logLevel?: string;
  probeAllow?: string[];
  runOutputVisibility?: string;
  metricsAuth?: string;
  agentQuota?: string[];
  tlsCert?: string;
  tlsKey?: string;
  tlsSan?: string[];
  clientCa?: string;
  /** False with `--no-tls`. */
  tls?: boolean;
  natsAccountSeed?: string;
  bus?: string;
  natsCreds?: string;
  natsPrefix?: string;
  natsCa?: string;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i;

/** `breakwater server`: runs the control plane until SIGINT/SIGTERM. TLS unless `--no-tls`. */
export async function serverCommand(flags: ServerFlags, io: Io): Promise<number> {
  const port = flags.port === undefined ? undefined : Number(flags.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new BreakwaterError('BW_ERR_CONFIG', `--port: expected a port number from 0 to 65535, found ${JSON.stringify(flags.port)}`);
  const plain = flags.tls === false;
  if (plain && (flags.tlsCert || flags.tlsKey || flags.tlsSan?.length || flags.clientCa)) throw new BreakwaterError('BW_ERR_CONFIG', '--no-tls cannot be combined with --tls-cert, --tls-key, --tls-san or --client-ca');
  // Loaded here, not at the top: every other command (above all `breakwater agent`, which runs
  // on every host) would otherwise carry fastify, SQLite and PostgreSQL drivers in memory (~30 MB RSS).
  const { startServer } = await import('../server/index.js');
  const server = await startServer({
    ...(port !== undefined ? { port } : {}),
    ...(flags.host ? { host: flags.host } : {}),
    ...(flags.data ? { dataDir: flags.data } : {}),
    ...(flags.store ? { store: flags.store } : {}),
    ...(flags.logLevel ? { logLevel: flags.logLevel as 'info' } : {}),
    ...(flags.maxTargets ? { maxTargets: Number(flags.maxTargets) } : {}),
    ...(flags.webhook?.length ? { webhooks: flags.webhook } : {}),
    ...(io.env.BREAKWATER_WEBHOOK_AUTHORIZATION ? { webhookAuthorization: io.env.BREAKWATER_WEBHOOK_AUTHORIZATION } : {}),
    ...(flags.pagerdutyUrl ? { pagerdutyUrl: flags.pagerdutyUrl } : {}),
    ...(flags.publicUrl ? { publicUrl: flags.publicUrl } : {}),
    ...(flags.probeAllow?.length ? { probeAllow: flags.probeAllow } : {}),
    ...(flags.runOutputVisibility ? { runOutputVisibility: flags.runOutputVisibility as 'operator' } : {}),
    ...(flags.metricsAuth ? { metricsAuth: flags.metricsAuth as 'token' } : {}),
    ...(flags.agentQuota?.length ? { agentQuotas: agentQuotas(flags.agentQuota) } : {}),
    ...natsAccountSeed(flags, io),
    ...(flags.bus ? { bus: flags.bus } : {}),
    ...(flags.natsCreds ? { natsCreds: flags.natsCreds } : {}),
    ...(flags.natsPrefix ? { natsPrefix: flags.natsPrefix } : {}),
    ...(flags.natsCa ? { natsCa: flags.natsCa } : {}),
    ...(plain ? {} : { tls: { ...(flags.tlsCert ? { cert: flags.tlsCert } : {}), ...(flags.tlsKey ? { key: flags.tlsKey } : {}), ...(flags.tlsSan?.length ? { sans: flags.tlsSan } : {}), ...(flags.clientCa ? { clientCa: flags.clientCa } : {}) } }),
  });
  io.stderr.write(`breakwater control plane listening on ${server.url}\n`);
  if (server.config.bus) io.stderr.write(`scaled mode: agents over NATS at ${server.config.bus} (subject prefix ${server.config.natsPrefix}), store ${redactedUrl(server.config.store)}\n`);
  if (plain && !LOOPBACK.test(server.config.host)) {
    io.stderr.write(`\nwarning: --no-tls on ${server.config.host}: tokens, agent credentials and the commands sent to agents travel unencrypted. Use it only behind a TLS-terminating proxy.\n`);
  }
  if (server.tls) {
    const made = { created: 'generated a private CA and a server certificate', renewed: 'renewed the server certificate', reused: 'using the generated certificate', files: 'using the certificate of --tls-cert' }[server.tls.action];
    io.stderr.write(`TLS: ${made}${server.tls.caFile ? ` (CA: ${server.tls.caFile})` : ''}\n  SHA-256 fingerprint of the ${server.tls.caFile ? 'CA' : 'top certificate of the chain'}: ${server.tls.fingerprint}\n`);
    if (server.tls.caFile) io.stderr.write(`  agents: --ca ${server.tls.caFile} (or --ca-fingerprint ${server.tls.fingerprint.replaceAll(':', '')})\n`);
    if (server.tls.clientAuth) io.stderr.write(`  mutual TLS: agents must present a client certificate signed by ${flags.clientCa}${server.tls.clientAuth.issue ? ' (issued at enrollment)' : ''}\n`);
  }
  if (server.config.natsAccountSeed) io.stderr.write(`NATS: enrollment issues each agent its NATS credentials, signed with ${server.config.natsAccountSeed}\n`);
  if (server.initialAdminToken) {
    io.stderr.write(`\nFirst start: an admin token was created. It is shown only now; store it safely:\n\n  BREAKWATER_TOKEN=${server.initialAdminToken}\n\n`);
  }
  io.stdout.write(`BREAKWATER_SERVER=${server.url}\n`);
  if (server.tls?.caFile) io.stdout.write(`BREAKWATER_CA=${server.tls.caFile}\n`);
  const signal = await untilSignal();
  io.stderr.write(`${signal}: stopping\n`);
  await server.close();
  return 0;
}

/** `--nats-account-seed`, else $BREAKWATER_NATS_ACCOUNT_SEED_FILE: a file name, never the seed itself (it would show in ps). */
function natsAccountSeed(flags: ServerFlags, io: Io): { natsAccountSeed?: string } {
  const file = flags.natsAccountSeed ?? io.env.BREAKWATER_NATS_ACCOUNT_SEED_FILE;
  return file ? { natsAccountSeed: file } : {};
}

const QUOTA_KINDS = ['events', 'rows', 'permits'] as const;

/** `--agent-quota events=600` (repeatable) as server options; the server checks the numbers. */
function agentQuotas(flags: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const flag of flags) {
    const [kind, value] = flag.split('=', 2);
    if (!QUOTA_KINDS.includes(kind as (typeof QUOTA_KINDS)[number]) || value === undefined || !/^\d+$/.test(value)) {
      throw new BreakwaterError('BW_ERR_CONFIG', `--agent-quota: expected ${QUOTA_KINDS.map((k) => `${k}=N`).join(', ')} (per agent per minute), found ${JSON.stringify(flag)}`);
    }
    out[`${kind}PerMinute`] = Number(value);
  }
  return out;
}

/** A store URL without its password, for the console. */
function redactedUrl(url: string | undefined): string {
  if (!url) return '(none)';
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}
