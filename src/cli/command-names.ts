/*
 * What the command line knows before it loads any command: the kinds `get` lists and the `agent`
 * subcommands the CLI handles itself. Kept apart from the commands (which import the API client,
 * the language and the definitions) so that building the command line loads none of them.
 */
import type { Definition } from '../definitions/index.js';

/**
 * The kinds `breakwater get` lists from their own API route (admin-commands.ts). `bots` and
 * `schedules` are also definition kinds: their route adds their state (breaker, next run) and wins.
 */
export const GET_KINDS = ['agents', 'runs', 'audit', 'tokens', 'bots', 'schedules', 'deliveries'] as const;

/** `breakwater get <plural>` of the definitions: the plural as typed, the kind as defined. */
export const DEFINITION_KIND_PLURALS: Readonly<Record<string, Definition['kind']>> = {
  actions: 'action',
  metrics: 'metric',
  alarms: 'alarm',
  bots: 'bot',
  schedules: 'schedule',
  files: 'file',
  secrets: 'secret',
};

/** The `breakwater agent` subcommands handled by the CLI rather than by the agent daemon. */
export const AGENT_ADMIN_COMMANDS: readonly string[] = ['revoke', 'delete'];
