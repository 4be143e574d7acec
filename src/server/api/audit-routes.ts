import { z } from 'zod';
import type { AuditEntry } from '../../protocol/index.js';
import type { Store } from '../store/index.js';
import type { Route } from './route.js';
import { route } from './route.js';
import { Page, TextFilter, pageOf } from './schemas.js';

/** The audit log is read from the store. */
export interface AuditContext {
  readonly store: Pick<Store, 'listAudit'>;
}

/**
 * GET /api/v1/audit: the audit log for operators and admins.
 *
 * @example
 * const routes = auditRoutes({ store });
 */
export function auditRoutes(ctx: AuditContext): Route[] {
  return [
    route({
      method: 'GET',
      url: '/api/v1/audit',
      summary: 'The audit log, newest first; filter by principal or action (exact), or by `text`: entries whose principal, action or target contains it, in any case.',
      role: 'operator',
      query: Page.extend({ principal: z.string().optional(), action: z.string().optional(), text: TextFilter }),
      handler: async ({ query }): Promise<AuditEntry[]> =>
        ctx.store.listAudit({ ...pageOf(query), ...(query.principal ? { principal: query.principal } : {}), ...(query.action ? { action: query.action } : {}), ...(query.text ? { text: query.text } : {}) }),
    }),
  ];
}
