import { BlockList, isIP } from 'node:net';
import type { Plan, PlanExpr } from '../../lang/index.js';

/*
 * `http_ok` and `tcp_ok` make every selected agent open a network connection: a statement with
 * them is a fleet-wide port scanner in the wrong hands. Below the operator role, a probe runs only
 * when its target is on the server's allow-list (`--probe-allow`).
 */

/** The probe functions: they open connections from every selected host. */
export const PROBE_FUNCTIONS: ReadonlySet<string> = new Set(['http_ok', 'tcp_ok']);

/** One probe call of a plan: the function, and its target when it is a literal. */
export interface ProbeCall {
  readonly fn: string;
  /** `host:port` as the agent will connect to it; undefined when not a literal or not understood. */
  readonly target: string | undefined;
  /** The argument as written, for messages. */
  readonly text: string;
}

/** The allow-list, parsed: exact `host:port` pairs and CIDR ranges (any port). */
export interface ProbeAllowList {
  readonly entries: readonly string[];
  readonly pairs: ReadonlySet<string>;
  readonly ranges: BlockList;
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** Why an allow-list entry is not one (a CIDR such as 10.0.0.0/8, or host:port), or undefined. */
export function probeAllowProblem(entry: string): string | undefined {
  const cidr = /^([0-9a-fA-F:.]+)\/(\d{1,3})$/.exec(entry);
  if (cidr) {
    const family = isIP(cidr[1] as string);
    const bits = Number(cidr[2]);
    if (family === 0) return `${JSON.stringify(entry)}: ${cidr[1]} is not an IP address`;
    if (bits > (family === 4 ? 32 : 128)) return `${JSON.stringify(entry)}: a /${bits} prefix is longer than an IPv${family} address`;
    return undefined;
  }
  const m = HOST_PORT.exec(entry);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) return `${JSON.stringify(entry)}: expected a CIDR range (10.0.0.0/8) or host:port (localhost:8080)`;
  return undefined;
}

/** Builds the allow-list; entries are checked with probeAllowProblem first (the server's config). */
export function probeAllowList(entries: readonly string[]): ProbeAllowList {
  const ranges = new BlockList();
  const pairs = new Set<string>();
  for (const e of entries) {
    const cidr = /^([0-9a-fA-F:.]+)\/(\d{1,3})$/.exec(e);
    if (cidr) ranges.addSubnet(cidr[1] as string, Number(cidr[2]), isIP(cidr[1] as string) === 6 ? 'ipv6' : 'ipv4');
    else pairs.add(e.toLowerCase());
  }
  return { entries, pairs, ranges };
}

/** Whether a probe target (`host:port`) is on the list: an exact pair, or a literal IP inside a range. */
export function probeAllowed(target: string | undefined, list: ProbeAllowList): boolean {
  if (target === undefined) return false;
  if (list.pairs.has(target.toLowerCase())) return true;
  const m = HOST_PORT.exec(target);
  const host = m ? (m[1] as string).replace(/^\[|\]$/g, '') : '';
  const family = isIP(host);
  // A name is never matched against a range: the agent resolves it, and the answer may differ there.
  return family !== 0 && list.ranges.check(host, family === 6 ? 'ipv6' : 'ipv4');
}

/** The `host:port` an http_ok URL or a tcp_ok address connects to. */
function targetOf(fn: string, arg: string): string | undefined {
  if (fn === 'tcp_ok') return HOST_PORT.test(arg) ? arg : undefined;
  try {
    const url = new URL(arg);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    return `${url.hostname}:${port}`;
  } catch {
    return undefined;
  }
}

/** Every http_ok / tcp_ok call anywhere in a plan (filters, columns, a rollout's `until`). */
export function probeCalls(plan: Plan): ProbeCall[] {
  const out: ProbeCall[] = [];
  const visit = (e: PlanExpr | null | undefined): void => {
    if (!e) return;
    switch (e.k) {
      case 'call': {
        if (PROBE_FUNCTIONS.has(e.fn)) {
          const arg = e.args[0];
          const literal = arg?.k === 'str' ? arg.v : undefined;
          out.push({ fn: e.fn, target: literal === undefined ? undefined : targetOf(e.fn, literal), text: literal === undefined ? `${e.fn}(<computed>)` : `${e.fn}(${JSON.stringify(literal)})` });
        }
        e.args.forEach(visit);
        return;
      }
      case 'list':
        e.items.forEach(visit);
        return;
      case 'not':
      case 'neg':
        visit(e.x);
        return;
      case 'bin':
        visit(e.l);
        visit(e.r);
        return;
      default:
        return;
    }
  };
  for (const p of plan.phases) {
    if (p.where === 'inventory' || p.where === 'events') visit(p.filter);
    else if (p.where === 'rollout') visit(p.until);
    else {
      for (const s of p.steps) {
        if ('expr' in s) visit(s.expr);
        else if ('args' in s) Object.values(s.args).forEach(visit);
      }
    }
  }
  return out;
}
