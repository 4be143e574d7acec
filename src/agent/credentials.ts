import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod/mini';
import { BreakwaterError } from '../protocol/index.js';
import { explainTlsError } from '../transport/index.js';
import type { HttpResponse } from './http-request.js';
import { request } from './http-request.js';

const Stored = z.object({ server: z.string(), agentId: z.string(), name: z.string(), credential: z.string() });
export type StoredCredential = z.infer<typeof Stored>;

const FILE = 'credential.json';

/** How an agent is told which CA to trust, for TLS error messages. */
export const AGENT_TRUST_HINT = "pass --ca <the control plane's tls/ca.pem> or --ca-fingerprint <its SHA-256>";

/** The agent's own credential from a previous enrollment, if it has one for this server. */
export async function loadCredential(dataDir: string, server: URL): Promise<StoredCredential | undefined> {
  let text: string;
  try {
    text = await readFile(join(dataDir, FILE), 'utf8');
  } catch {
    return undefined;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined; // a corrupt file (a crash mid-write before atomic saves, a disk error): enroll again
  }
  const parsed = Stored.safeParse(raw);
  if (!parsed.success || parsed.data.server !== server.origin) return undefined;
  return parsed.data;
}

/** Writes atomically (temp file + rename), readable by the agent's user only. */
export async function saveCredential(dataDir: string, value: StoredCredential): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const tmp = join(dataDir, `${FILE}.${process.pid}.tmp`);
  await writeFile(tmp, JSON.stringify(value), { mode: 0o600 });
  await rename(tmp, join(dataDir, FILE));
}

/**
 * Trades a join token for this host's own credential. The control plane keeps
 * only its hash; the join token is not needed again.
 */
export async function enroll(server: URL, joinToken: string, name: string, hostId: string, tls: { ca?: string | undefined; publicKey?: string } = {}): Promise<StoredCredential & { clientCertificate?: string }> {
  let res: HttpResponse;
  try {
    res = await request(new URL('/api/v1/agents/enroll', server), {
      ca: tls.ca,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: joinToken, name, hostId, ...(tls.publicKey ? { publicKey: tls.publicKey } : {}) }),
      timeoutMs: 10_000,
    });
  } catch (err) {
    const tlsProblem = explainTlsError(err, AGENT_TRUST_HINT, server);
    throw new BreakwaterError(tlsProblem && server.protocol === 'https:' ? 'BW_ERR_UNAUTHENTICATED' : 'BW_ERR_UNAVAILABLE', `cannot reach the control plane at ${server.origin} to enroll: ${tlsProblem ?? (err as Error).message}`, {}, { cause: err });
  }
  const body = parseObject(res.body) as { agentId?: string; credential?: string; clientCertificate?: unknown; message?: string };
  if (res.status === 401 || res.status === 403) {
    throw new BreakwaterError('BW_ERR_UNAUTHENTICATED', `the control plane refused the join token: ${body.message ?? res.statusText}`);
  }
  if (res.status < 200 || res.status > 299 || !body.agentId || !body.credential) {
    throw new BreakwaterError('BW_ERR_UNAVAILABLE', `enrollment failed (HTTP ${res.status}): ${body.message ?? res.statusText}`);
  }
  return { server: server.origin, agentId: body.agentId, name, credential: body.credential, ...(typeof body.clientCertificate === 'string' ? { clientCertificate: body.clientCertificate } : {}) };
}

function parseObject(text: string): object {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null ? v : {};
  } catch {
    return {};
  }
}
