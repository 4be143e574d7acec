import { paramValueProblem, quoteString } from '../../definitions/index.js';
import type { Principal } from '../auth.js';
import type { StatementContext } from '../query/run-statement.js';
import { outcomeOf, runStatement } from '../query/run-statement.js';

/*
 * Which host runs a pod an alert names. The control plane keeps no index of pods: only the agent
 * on a pod's node sees it, so the fleet is asked, with the language's own `pod` query through the
 * path every statement takes (runStatement), read-only and under a short deadline.
 */

/** A pod as an alert's labels name it: `pod`, and `namespace` (default `default`). */
export interface PodRef {
  readonly name: string;
  readonly namespace: string;
}

/** What asking the fleet for a pod found: the hosts that run one of that name and namespace, or why none was asked. */
export type PodLookup = { readonly hosts: readonly string[]; readonly asked: number; readonly answered: number } | { readonly problem: string };

/** Asks the fleet for one pod, as `asker` (named in the query's principal). Resolves, never rejects: a failure is a `problem`. */
export type FindPod = (pod: PodRef, asker: string) => Promise<PodLookup>;

/** How long the fleet is given to say where a pod runs: an alert's webhook is answered within seconds. */
export const POD_LOOKUP_TIMEOUT_MS = 2000;

/** The longest name Kubernetes gives a pod (a DNS subdomain) or a namespace: longer label values name none. */
const MAX_POD_NAME = 253;

/** `default/web-7f9c`: a pod's key in a notification's lookups, and how reasons name it. */
export const podKey = (p: PodRef) => `${p.namespace}/${p.name}`;

/** Why these label values cannot name a pod (and so are not asked for), or undefined. */
export function podRefProblem(p: PodRef): string | undefined {
  for (const [what, v] of [['pod', p.name], ['namespace', p.namespace]] as const) {
    if (v.length > MAX_POD_NAME) return `its ${what} label is longer than the ${MAX_POD_NAME} characters of a Kubernetes name`;
    const problem = paramValueProblem(v);
    if (problem) return `its ${what} label cannot be a Kubernetes name (${problem.replace('a parameter value', 'it')})`;
  }
  return undefined;
}

/**
 * The statement that finds a pod: both values as string literals of the language, so no label
 * value can add a stage, a command or another filter (pod-hosts.test.ts fuzzes that).
 *
 * @example
 * podStatement({ name: 'web-1', namespace: 'prod' }) // 'pod | name = "web-1" | namespace = "prod"'
 */
export function podStatement(p: PodRef): string {
  return `pod | name = ${quoteString(p.name)} | namespace = ${quoteString(p.namespace)}`;
}

/**
 * A FindPod that runs podStatement on the fleet, as a viewer named after the asker: read-only, so
 * it records no run (queries that only read are not audited).
 *
 * @example
 * const findPod = podFinder(ctx);
 * await findPod({ name: 'web-1', namespace: 'prod' }, 'integration:am') // { hosts: ['node-3'], asked: 5, answered: 5 }
 */
export function podFinder(ctx: StatementContext): FindPod {
  return async (pod, asker) => {
    const problem = podRefProblem(pod);
    if (problem) return { problem };
    const principal: Principal = { id: asker, name: asker, role: 'viewer' };
    try {
      const { result } = await outcomeOf(runStatement(ctx, { statement: podStatement(pod), principal, readOnly: "finding an alert's pod", timeoutMs: POD_LOOKUP_TIMEOUT_MS }));
      const hosts = [...new Set(result.rows.flatMap((r) => (r.resource?.host ? [r.resource.host] : [])))].sort();
      return { hosts, asked: result.agentsAsked, answered: result.agentsAnswered };
    } catch (err) {
      return { problem: `the fleet could not be asked: ${(err as Error).message}` };
    }
  };
}
