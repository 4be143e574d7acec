/*
 * The answers of the operating API — silences, maintenance, bot switches (GET /api/v1/silences,
 * /maintenance, /switches), bots and schedules (GET /api/v1/bots, /schedules) and approvals: one
 * contract, written by the control plane's routes and read by the web UI and the CLI. The store
 * keeps its own record types; the routes' answers are checked against these at compile time.
 */

/** A silence of one alarm (`alarm` null: every alarm) on the hosts a host query selects. */
export interface Silence {
  readonly id: string;
  readonly alarm: string | null;
  readonly hosts: string;
  readonly reason: string;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly endsAt: number;
  /** Set when someone ended it before `endsAt`. */
  readonly endedAt: number | null;
  readonly endedBy: string | null;
  /** Now: in force, ended early by someone, or past its end. */
  readonly state: 'active' | 'ended' | 'expired';
}

/** The fleet's maintenance mode: while on, bots and schedules do not start new runs. */
export interface Maintenance {
  readonly on: boolean;
  readonly reason: string | null;
  readonly setBy: string | null;
  readonly setAt: number | null;
}

/** Maintenance and every bot's switch (a bot switched off but no longer defined included). */
export interface Switches {
  readonly maintenance: Maintenance;
  readonly bots: readonly BotSwitch[];
}

/** One bot's switch: off, by whom and why; or null while on. */
export interface BotSwitch {
  readonly name: string;
  readonly action: string;
  readonly defined: boolean;
  readonly enabledInDefinitions: boolean;
  readonly off: { readonly by: string; readonly at: number; readonly reason: string } | null;
}

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired';

/** A bot run waiting for a person (GET /api/v1/approvals). */
export interface Approval {
  readonly id: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly bot: string;
  readonly action: string;
  readonly host: string;
  readonly resource: string;
  /** The statement that will run when approved. */
  readonly statement: string;
  readonly details: Readonly<Record<string, unknown>>;
  readonly status: ApprovalStatus;
  readonly decidedBy: string | null;
  readonly decidedAt: number | null;
  readonly runId: string | null;
}

/** A circuit breaker's state on one bot. */
export interface BreakerState {
  readonly max: number;
  readonly windowSeconds: number;
  /** Runs counted in the window across the fleet (each host up to its share). */
  readonly used: number;
  readonly left: number;
  /** How many of the window's runs one host may use. */
  readonly hostShare: number;
  /** No host may run the bot until runs leave the window. */
  readonly tripped: boolean;
}

/** A bot's last run. */
export interface BotRun {
  readonly time: number;
  readonly host: string | null;
  readonly resource: string | null;
  readonly ok: boolean;
  readonly exitCode: number | null;
  readonly runId: string | null;
}

/** One bot: its trigger (in words), action and limits, and what the fleet did with them. */
export interface BotState {
  readonly name: string;
  readonly description: string;
  /** The pack that installed it, `name@version`; absent when written by hand. */
  readonly pack?: string;
  readonly enabled: boolean;
  /** The trigger in words: `alarm data-disk-full fired`, `event process_restarted of app`, `event host_joined`, `external deploy`. */
  readonly triggerText: string;
  readonly action: string;
  readonly args: Readonly<Record<string, string | number | boolean>>;
  /** Which resources it can act on: its alarm's query; null for event and external triggers. */
  readonly target: string | null;
  readonly cooldownSeconds: number;
  readonly approval: boolean;
  readonly breaker: BreakerState;
  /** Resources whose cooldown has not ended, with when it ends (ms), soonest first. */
  readonly cooldowns: readonly { readonly resource: string; readonly host: string | null; readonly until: number }[];
  readonly lastRun: BotRun | null;
}

/** One schedule: its timing, when it runs next and how it last ran. */
export interface ScheduleState {
  readonly name: string;
  readonly description: string;
  /** The pack that installed it, `name@version`; absent when written by hand. */
  readonly pack?: string;
  readonly enabled: boolean;
  readonly cron: string | null;
  readonly everySeconds: number | null;
  readonly run: string;
  /** When its timer fires next on the answering replica (ms); null when disabled. */
  readonly nextRun: number | null;
  /** A run of it going on the answering replica now. */
  readonly running: boolean;
  readonly lastRun: { readonly time: number; readonly runId: string | null; readonly outcome: 'ok' | 'denied' | 'failed'; readonly targets: number | null; readonly failures: number | null; readonly error: string | null } | null;
}
