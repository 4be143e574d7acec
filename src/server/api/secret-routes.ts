import { z } from 'zod';
import type { Definition } from '../../definitions/index.js';
import { BreakwaterError } from '../../protocol/index.js';
import type { Principal } from '../auth.js';
import { audit } from '../audit/index.js';
import { hasRole } from '../auth.js';
import type { Clock } from '../fleet/index.js';
import type { Remediation } from '../remediation/index.js';
import type { SecretVault } from '../secrets/index.js';
import { MAX_SECRET_BYTES } from '../secrets/index.js';
import type { Store } from '../store/index.js';
import type { Route } from './route.js';
import { route } from './route.js';

/** What a definitions answer shows in place of a file's content to anyone but an admin. */
export const HIDDEN_CONTENT = (size: number, sha256: string) => `(hidden from non-admins: ${size} bytes, sha256 ${sha256})`;

/**
 * Definitions as a principal may read them. A file's content is host-scoped
 * (it may hold credentials): admins see it, others see its size and digest
 * (`contentHidden: true`). A secret shows whether it has a value, never the value.
 */
export function definitionsView(definitions: readonly Definition[], principal: Principal | undefined, vault: SecretVault): unknown[] {
  const admin = principal !== undefined && hasRole(principal, 'admin');
  return definitions.map((d) => {
    if (d.kind === 'file' && !admin) return { ...d, content: HIDDEN_CONTENT(Buffer.byteLength(d.content), d.sha256), contentHidden: true };
    if (d.kind === 'secret') return { ...d, value: vault.list().find((s) => s.name === d.name)?.value ?? '(not set)' };
    return d;
  });
}

const SecretName = z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'expected a secret name: a lowercase letter, then up to 62 lowercase letters, digits, `_` or `-`');

/** `breakwater secret set|list|rotate-key` over HTTP: admin only, audited, never a value in an answer or the audit. */
export function secretRoutes(ctx: { readonly store: Store; readonly remediation: Pick<Remediation, 'secrets' | 'secretChanged'>; readonly clock: Clock }): Route[] {
  const vault = () => ctx.remediation.secrets;
  return [
    route({
      method: 'GET',
      url: '/api/v1/secrets',
      summary: 'The secrets of the applied definitions: name, hosts, where the value comes from, whether it is set (never the value).',
      role: 'admin',
      handler: async () => vault().list(),
    }),
    route({
      method: 'PUT',
      url: '/api/v1/secrets/:name',
      summary: 'Sets a secret\'s value (stored encrypted; sent to the agents its hosts query selects).',
      role: 'admin',
      params: z.object({ name: SecretName }),
      body: z.object({ value: z.string().min(1, 'the value is empty').max(MAX_SECRET_BYTES, `the value is longer than ${MAX_SECRET_BYTES / 1024} KiB`) }).strict(),
      handler: async ({ params, body, principal }) => {
        const who = (principal as Principal).name;
        try {
          await vault().set(params.name, body.value, who);
        } catch (err) {
          await audit(ctx.store, who, 'secret.set', params.name, 'failed', { error: err instanceof BreakwaterError ? err.code : 'BW_ERR_INTERNAL' }, null, ctx.clock);
          throw err;
        }
        await audit(ctx.store, who, 'secret.set', params.name, 'ok', {}, null, ctx.clock);
        ctx.remediation.secretChanged();
        return vault()
          .list()
          .find((s) => s.name === params.name);
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/secrets/rotate-key',
      summary: 'Re-encrypts every stored secret value with a new key (secret.key in the data directory).',
      role: 'admin',
      handler: async ({ principal }) => {
        const who = (principal as Principal).name;
        try {
          const reencrypted = await vault().rotateKey();
          await audit(ctx.store, who, 'secret.rotate_key', 'secret key', 'ok', { reencrypted }, null, ctx.clock);
          return { reencrypted };
        } catch (err) {
          await audit(ctx.store, who, 'secret.rotate_key', 'secret key', 'failed', { error: err instanceof BreakwaterError ? err.code : 'BW_ERR_INTERNAL' }, null, ctx.clock);
          throw err;
        }
      },
    }),
  ];
}
