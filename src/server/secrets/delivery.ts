import type { Definition } from '../../definitions/index.js';
import type { Catalogue, PlanExpr } from '../../lang/index.js';
import { analyze, evaluateSync, truthy } from '../../lang/index.js';
import type { InventoryHost } from '../gateway.js';
import { hostContext } from '../query/host-rows.js';
import type { SecretVault } from './vault.js';

/** One agent's definitions message, encoded, and what it is made of (equal keys, equal frames). */
export interface AgentDefinitions {
  readonly key: string;
  readonly frame: string;
}

/** Which hosts a definition (or a silence) goes to: all, none, or those an inventory filter selects. */
export type Scope = 'all' | 'none' | { readonly filter: PlanExpr };

/** At most this many distinct encoded sets are kept; a fleet has few distinct tag combinations. */
const MAX_CACHED_FRAMES = 256;

/**
 * Builds each agent's definitions message. Files and secrets carry content for
 * the hosts their query selects, so only those agents receive them (judged on
 * the tags and attributes the control plane knows; the agent still checks a
 * file's whole query itself). The rest (actions, metrics, alarms, bots,
 * schedules) carries no host content and goes to every agent, which evaluates
 * alarm queries locally against its live tags. Secret definitions themselves
 * stay on the control plane: an agent receives only the values meant for it.
 */
export class DefinitionDelivery {
  private readonly scopes = new Map<Definition, Scope>();
  private readonly frames = new Map<string, string>();

  constructor(
    private readonly version: number,
    private readonly definitions: readonly Definition[],
    catalogue: Catalogue,
    private readonly vault: SecretVault,
  ) {
    for (const d of definitions) {
      if (d.kind === 'file') this.scopes.set(d, scopeOf(d.query, catalogue));
      else if (d.kind === 'secret') this.scopes.set(d, d.hosts === '' ? 'none' : scopeOf(d.hosts, catalogue));
      // The control plane's own: an agent has no use for an integration (and its secrets' names).
      else if (d.kind === 'integration') this.scopes.set(d, 'none');
    }
  }

  /** The message for one host, encoded once per distinct set. */
  forHost(host: InventoryHost): AgentDefinitions {
    const definitions: Definition[] = [];
    const secrets: string[] = [];
    const parts: string[] = [];
    this.definitions.forEach((d, i) => {
      const scope = this.scopes.get(d);
      if (scope !== undefined && !selects(scope, host)) return;
      if (d.kind === 'secret') {
        if (this.vault.isSet(d.name)) secrets.push(d.name);
        parts.push(`${i}@${this.vault.revision(d.name)}`);
      } else definitions.push(d);
      if (d.kind === 'file') parts.push(String(i));
    });
    const key = `${this.version}/${parts.join(',')}`;
    let frame = this.frames.get(key);
    if (frame === undefined) {
      // Old values' frames are dropped wholesale now and then rather than tracked one by one.
      if (this.frames.size >= MAX_CACHED_FRAMES) this.frames.clear();
      frame = JSON.stringify({ type: 'definitions', version: this.version, definitions, secrets: this.vault.valuesOf(secrets) });
      this.frames.set(key, frame);
    }
    return { key, frame };
  }
}

/**
 * A host statement's inventory filter. A statement the control plane cannot
 * plan selects no host (closed, not open); one whose first phase is not the
 * inventory (filters on metrics only) goes to every agent, which decides.
 */
function scopeOf(statement: string, catalogue: Catalogue): Scope {
  const plan = analyze(statement, catalogue).plan;
  if (!plan) return 'none';
  const first = plan.phases[0];
  if (first?.where !== 'inventory') return 'all';
  return first.filter ? { filter: first.filter } : 'all';
}

/** Whether a scope selects a host, judged on the tags and attributes the control plane knows (an error selects none). */
export function selects(scope: Scope, host: InventoryHost): boolean {
  if (scope === 'all' || scope === 'none') return scope === 'all';
  try {
    return truthy(evaluateSync(scope.filter, hostContext(host)));
  } catch {
    return false;
  }
}
