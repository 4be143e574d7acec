import type { ActionDefinition, BotDefinition, Definition, SecretDefinition } from '../../definitions/index.js';
import type { Catalogue } from '../../lang/index.js';
import { BUILTIN_CATALOGUE, extendCatalogue } from '../../lang/index.js';
import type { InventoryHost } from '../fleet/index.js';
import type { SecretVault } from '../secrets/index.js';
import type { AgentDefinitions } from '../secrets/index.js';
import { DefinitionDelivery } from '../secrets/index.js';

/** A definitions version and its definitions; version 0 is "nothing applied yet". */
export interface DefinitionsVersion {
  readonly version: number;
  readonly definitions: readonly Definition[];
}

/**
 * The definitions in force, and what follows from them: the language catalogue with the fleet's
 * custom metrics and actions, the secrets' values, and what each agent is sent. It knows nothing
 * of the fleet, so the agents' hooks can read it before the gateway exists.
 *
 * @example
 * const current = new CurrentDefinitions(secrets);
 * await current.install(3, definitions);
 * current.catalogue(); // BUILTIN_CATALOGUE extended with version 3's metrics and actions
 */
export class CurrentDefinitions {
  private current: DefinitionsVersion | undefined;
  private cat: Catalogue = BUILTIN_CATALOGUE;
  private delivery: DefinitionDelivery | undefined;

  constructor(private readonly secrets: SecretVault) {}

  definitions(): DefinitionsVersion {
    return this.current ?? { version: 0, definitions: [] };
  }

  /** The language catalogue with the fleet's custom metrics and actions. */
  catalogue(): Catalogue {
    return this.cat;
  }

  action(name: string): ActionDefinition | undefined {
    return this.definitions().definitions.find((d): d is ActionDefinition => d.kind === 'action' && d.name === name);
  }

  bot(name: string): BotDefinition | undefined {
    return this.definitions().definitions.find((d): d is BotDefinition => d.kind === 'bot' && d.name === name);
  }

  /** One host's definitions, encoded, with only the secrets it is in scope for; undefined before any version. */
  forHost(host: InventoryHost): AgentDefinitions | undefined {
    return this.delivery?.forHost(host);
  }

  /** Makes a version the one in force: catalogue, secrets' values, what agents are sent. */
  async install(version: number, definitions: readonly Definition[]): Promise<void> {
    this.current = { version, definitions };
    this.cat = extendCatalogue(BUILTIN_CATALOGUE, {
      metrics: definitions.flatMap((d) => (d.kind === 'metric' ? [{ name: d.name, resource: d.resource, dim: d.unit, labels: d.labels, description: d.description }] : [])),
      actions: definitions.flatMap((d) => (d.kind === 'action' ? [{ name: d.name, description: d.description, resources: d.resources, params: d.params }] : [])),
    });
    await this.secrets.load(definitions.filter((d): d is SecretDefinition => d.kind === 'secret'));
    this.delivery = new DefinitionDelivery(version, definitions, this.cat, this.secrets);
  }
}
