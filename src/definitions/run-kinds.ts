/*
 * Who started a run, read from the principal it is recorded under: the formats are set here and
 * in permissions.ts (botPrincipal), so the store's filters and the pages that show runs agree.
 */

/** The five ways a run starts: a person (the Console, the CLI), a bot, a schedule, a person approving a bot's run, a person running a runbook's cell. */
export const RUN_KINDS = ['adhoc', 'bot', 'schedule', 'approval', 'runbook'] as const;
export type RunKind = (typeof RUN_KINDS)[number];

/** The principal prefixes of automation; a person's token name never has a `:`. */
export const BOT_PREFIX = 'bot:';
export const SCHEDULE_PREFIX = 'schedule:';
/** What follows an approver's name in the principal of the bot run they approved. */
export const APPROVING_BOT = ' (approving bot:';

/** The principal of the run a person started by approving a bot's run: `alice (approving bot:clean-data-logs)`. */
export const approverPrincipal = (name: string, bot: string): string => `${name}${APPROVING_BOT}${bot})`;

/** What follows a person's name in the principal of a run of a runbook's cell. */
export const RUNBOOK_CELL = ' (runbook:';
/** `alice (runbook:disk-full cell 3)`: a runbook name has no space nor `)` (the API's Name), so it reads back whole. */
const RUNBOOK_PRINCIPAL = /^(.+) \(runbook:([^ )]+) cell (\d+)\)$/;

/**
 * The principal of a run a person started from a runbook's cell: `alice (runbook:disk-full cell 3)`,
 * the cell counted from 1 as the page shows it. The server builds it from the signed-in name and a
 * stored runbook's name, never from a caller's text.
 */
export const runbookPrincipal = (name: string, runbook: string, cell: number): string => `${name}${RUNBOOK_CELL}${runbook} cell ${cell})`;

/** The runbook and cell a run came from, if it was a runbook cell's run. */
export function runRunbookOf(principal: string): { readonly person: string; readonly runbook: string; readonly cell: number } | undefined {
  if (principal.startsWith(BOT_PREFIX) || principal.startsWith(SCHEDULE_PREFIX)) return undefined;
  const m = RUNBOOK_PRINCIPAL.exec(principal);
  return m ? { person: m[1] as string, runbook: m[2] as string, cell: Number(m[3]) } : undefined;
}

/** The person a run belongs to (who may read its output as its own): the principal without a runbook's suffix. */
export const runPersonOf = (principal: string): string => runRunbookOf(principal)?.person ?? principal;

/**
 * How a run was started, from its principal.
 *
 * @example
 * runKindOf('bot:clean-data-logs@web-1') // 'bot'
 * runKindOf('alice (approving bot:restart)') // 'approval'
 * runKindOf('alice (runbook:disk-full cell 3)') // 'runbook'
 */
export function runKindOf(principal: string): RunKind {
  if (principal.startsWith(BOT_PREFIX)) return 'bot';
  if (principal.startsWith(SCHEDULE_PREFIX)) return 'schedule';
  if (principal.includes(APPROVING_BOT) && principal.endsWith(')')) return 'approval';
  if (runRunbookOf(principal)) return 'runbook';
  return 'adhoc';
}

/** The bot a run was for (its own run, or an approved one), if any. */
export function runBotOf(principal: string): string | undefined {
  if (principal.startsWith(BOT_PREFIX)) return principal.slice(BOT_PREFIX.length).split('@')[0];
  const at = principal.indexOf(APPROVING_BOT);
  return at >= 0 && principal.endsWith(')') ? principal.slice(at + APPROVING_BOT.length, -1) : undefined;
}
