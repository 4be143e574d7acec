/*
 * Who started a run, read from the principal it is recorded under: the formats are set here and
 * in permissions.ts (botPrincipal), so the store's filters and the pages that show runs agree.
 */

/** The four ways a run starts: a person (the Console, a runbook cell, the CLI), a bot, a schedule, a person approving a bot's run. */
export const RUN_KINDS = ['adhoc', 'bot', 'schedule', 'approval'] as const;
export type RunKind = (typeof RUN_KINDS)[number];

/** The principal prefixes of automation; a person's token name never has a `:`. */
export const BOT_PREFIX = 'bot:';
export const SCHEDULE_PREFIX = 'schedule:';
/** What follows an approver's name in the principal of the bot run they approved. */
export const APPROVING_BOT = ' (approving bot:';

/** The principal of the run a person started by approving a bot's run: `alice (approving bot:clean-data-logs)`. */
export const approverPrincipal = (name: string, bot: string): string => `${name}${APPROVING_BOT}${bot})`;

/**
 * How a run was started, from its principal.
 *
 * @example
 * runKindOf('bot:clean-data-logs@web-1') // 'bot'
 * runKindOf('alice (approving bot:restart)') // 'approval'
 */
export function runKindOf(principal: string): RunKind {
  if (principal.startsWith(BOT_PREFIX)) return 'bot';
  if (principal.startsWith(SCHEDULE_PREFIX)) return 'schedule';
  if (principal.includes(APPROVING_BOT) && principal.endsWith(')')) return 'approval';
  return 'adhoc';
}

/** The bot a run was for (its own run, or an approved one), if any. */
export function runBotOf(principal: string): string | undefined {
  if (principal.startsWith(BOT_PREFIX)) return principal.slice(BOT_PREFIX.length).split('@')[0];
  const at = principal.indexOf(APPROVING_BOT);
  return at >= 0 && principal.endsWith(')') ? principal.slice(at + APPROVING_BOT.length, -1) : undefined;
}
