import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod/mini';
import { BreakwaterError, ERROR_CODES, EnrollResponse, describeIssues } from '../protocol/index.js';
import type { ErrorCode } from '../protocol/index.js';
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
  await writePrivate(dataDir, FILE, JSON.stringify(value));
}

async function writePrivate(dataDir: string, file: string, text: string): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const tmp = join(dataDir, `${file}.${process.pid}.tmp`);
  await writeFile(tmp, text, { mode: 0o600 });
  await rename(tmp, join(dataDir, file));
}

const HOST_ID_FILE = 'host-id';
const HOST_ID = /^[A-Za-z0-9_-]{16,256}$/;

/**
 * The id this host enrolls with: the machine id (/etc/machine-id, else /var/lib/dbus/machine-id)
 * when the system has one, else a random id kept in the data directory beside the credential, so
 * that the host enrolls again as itself after losing its credential. The control plane keeps an
 * agent's name to the host id that enrolled it.
 */
export async function hostIdentity(dataDir: string, machineIdFiles: readonly string[] = ['/etc/machine-id', '/var/lib/dbus/machine-id']): Promise<string> {
  for (const file of [...machineIdFiles, join(dataDir, HOST_ID_FILE)]) {
    const id = (await readFile(file, 'utf8').catch(() => '')).trim();
    if (HOST_ID.test(id)) return id;
  }
  const id = randomBytes(16).toString('hex');
  await writePrivate(dataDir, HOST_ID_FILE, `${id}\n`);
  return id;
}

/**
 * Trades a join token for this host's own credential. The control plane keeps
 * only its hash; the join token is not needed again. The public halves of the
 * host's own key pairs get a client certificate (`publicKey`, under mutual TLS)
 * and a NATS user JWT (`natsPublicKey`, in the scaled mode) when the control
 * plane issues them.
 */
export async function enroll(
  server: URL,
  joinToken: string,
  name: string,
  hostId: string,
  tls: { ca?: string | undefined; publicKey?: string; natsPublicKey?: string } = {},
): Promise<StoredCredential & { clientCertificate?: string; natsJwt?: string }> {
  let res: HttpResponse;
  try {
    res = await request(new URL('/api/v1/agents/enroll', server), {
      ca: tls.ca,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: joinToken, name, hostId, ...(tls.publicKey ? { publicKey: tls.publicKey } : {}), ...(tls.natsPublicKey ? { natsPublicKey: tls.natsPublicKey } : {}) }),
      timeoutMs: 10_000,
    });
  } catch (err) {
    const tlsProblem = explainTlsError(err, AGENT_TRUST_HINT, server);
    throw new BreakwaterError(tlsProblem && server.protocol === 'https:' ? 'BW_ERR_UNAUTHENTICATED' : 'BW_ERR_UNAVAILABLE', `cannot reach the control plane at ${server.origin} to enroll: ${tlsProblem ?? (err as Error).message}`, {}, { cause: err });
  }
  const body = parseObject(res.body) as { agentId?: string; credential?: string; clientCertificate?: unknown; code?: string; message?: string };
  if (res.status === 401 || res.status === 403) {
    throw new BreakwaterError('BW_ERR_UNAUTHENTICATED', `the control plane refused the join token: ${body.message ?? res.statusText}`);
  }
  if (res.status < 200 || res.status > 299 || !body.agentId || !body.credential) {
    // The control plane's own code (a name enrolled from another host: BW_ERR_HOST_MISMATCH) says what to do.
    const code: ErrorCode = body.code !== undefined && body.code in ERROR_CODES ? (body.code as ErrorCode) : 'BW_ERR_UNAVAILABLE';
    throw new BreakwaterError(code, `enrollment as \`${name}\` failed (HTTP ${res.status}): ${body.message ?? res.statusText}`);
  }
  const answer = EnrollResponse.safeParse(body);
  if (!answer.success) throw new BreakwaterError('BW_ERR_PROTOCOL', `the control plane's enrollment answer is malformed: ${describeIssues(answer.error)}`);
  const { clientCertificate, natsJwt } = answer.data;
  return { server: server.origin, agentId: answer.data.agentId, name, credential: answer.data.credential, ...(clientCertificate ? { clientCertificate } : {}), ...(natsJwt ? { natsJwt } : {}) };
}

function parseObject(text: string): object {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null ? v : {};
  } catch {
    return {};
  }
}
