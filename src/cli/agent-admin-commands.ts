/*
 * Ending an agent's (or a token's) power from the command line: `breakwater agent revoke|delete
 * NAME` and `breakwater token revoke NAME|ID`. Each says what it did and what it left alone, since
 * revoking a join token and revoking the credentials it issued are separate acts.
 */
import { BreakwaterError } from '../protocol/index.js';
import type { Endpoint } from './api.js';
import { getJson, request } from './api.js';
import type { Io } from './io.js';

const path = (name: string) => `/api/v1/agents/${encodeURIComponent(name)}`;

/** `breakwater agent revoke NAME`: ends the credential and the connection; the host stays known. */
export async function agentRevokeCommand(ep: Endpoint, name: string, io: Io): Promise<number> {
  const res = (await (await request(ep, 'POST', `${path(name)}/revoke`)).json()) as { disconnected: boolean };
  io.stdout.write(
    `Revoked the credential of agent \`${name}\`${res.disconnected ? ' and disconnected it' : ' (it was not connected)'}. It stays in the inventory; it can enroll again only with a valid join token (revoke those it holds to keep it out).\n`,
  );
  return 0;
}

/** `breakwater agent delete NAME`: removes the agent and its credential; the name is free again. */
export async function agentDeleteCommand(ep: Endpoint, name: string, io: Io): Promise<number> {
  const res = (await (await request(ep, 'DELETE', path(name))).json()) as { disconnected: boolean };
  io.stdout.write(`Deleted agent \`${name}\`${res.disconnected ? ' and disconnected it' : ''}. Any host may now enroll as \`${name}\` with a valid join token.\n`);
  return 0;
}

interface TokenItem {
  readonly id: string;
  readonly name: string;
  readonly role: string;
  readonly revokedAt: number | null;
}

/** `breakwater token revoke NAME|ID`: by id, or by the name of exactly one active token. */
export async function tokenRevokeCommand(ep: Endpoint, which: string, io: Io): Promise<number> {
  const tokens = await getJson<TokenItem[]>(ep, '/api/v1/tokens');
  const byName = tokens.filter((t) => t.name === which && t.revokedAt === null);
  const token = tokens.find((t) => t.id === which) ?? (byName.length === 1 ? byName[0] : undefined);
  if (!token) {
    const why = byName.length > 1 ? `${byName.length} active tokens are named \`${which}\` (ids ${byName.map((t) => t.id).join(', ')}): give the id` : `no token has the id or active name \`${which}\` (see breakwater get tokens)`;
    throw new BreakwaterError(byName.length > 1 ? 'BW_ERR_CONFLICT' : 'BW_ERR_NOT_FOUND', why);
  }
  const res = (await (await request(ep, 'DELETE', `/api/v1/tokens/${encodeURIComponent(token.id)}`)).json()) as { agentsKept: number };
  io.stdout.write(`Revoked ${token.role} token \`${token.name}\` (${token.id}).\n`);
  if (token.role === 'agent') {
    io.stdout.write(`It can enroll no more agents. The ${res.agentsKept} agent(s) it enrolled keep their own credentials; end one with breakwater agent revoke NAME.\n`);
  }
  return 0;
}
