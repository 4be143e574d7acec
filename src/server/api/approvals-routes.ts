import { z } from 'zod';
import type { Principal } from '../auth.js';
import type { Remediation } from '../remediation/index.js';
import type { Store } from '../store/index.js';
import type { Route } from './route.js';
import { route } from './route.js';
import { IdParam, Page, pageOf } from './schemas.js';

/** Approvals are listed from the store and decided by remediation (which runs an approved action). */
export interface ApprovalsContext {
  readonly store: Pick<Store, 'listApprovals'>;
  readonly remediation: Pick<Remediation, 'decide'>;
}

/** The two decisions on a pending bot run: one route each, the same but for the verdict. */
const DECISIONS = [
  { verb: 'approve', approve: true, summary: 'Approve a pending bot run: it runs now, under your name.' },
  { verb: 'deny', approve: false, summary: 'Deny a pending bot run.' },
] as const;

/**
 * Bot runs waiting for a person: list them, approve or deny one.
 *
 * @example
 * const routes = approvalsRoutes({ store, remediation });
 */
export function approvalsRoutes(ctx: ApprovalsContext): Route[] {
  return [
    route({
      method: 'GET',
      url: '/api/v1/approvals',
      summary: 'Bot runs waiting for approval (or decided), newest first.',
      role: 'viewer',
      query: Page.extend({ status: z.enum(['pending', 'approved', 'denied', 'expired']).optional() }),
      handler: async ({ query }) => ctx.store.listApprovals({ ...pageOf(query), ...(query.status ? { status: query.status } : {}) }),
    }),
    ...DECISIONS.map((d) =>
      route({
        method: 'POST',
        url: `/api/v1/approvals/:id/${d.verb}`,
        summary: d.summary,
        role: 'operator',
        params: IdParam,
        handler: async ({ params, principal }) => ctx.remediation.decide(params.id, d.approve, principal as Principal),
      }),
    ),
  ];
}
