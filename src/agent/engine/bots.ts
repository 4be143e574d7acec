import type { BotDefinition, ContainerTriggerEvent } from '../../definitions/index.js';
import { actionRefusal, botPrincipal, expandTemplate } from '../../definitions/index.js';
import type { FleetEvent } from '../../protocol/index.js';
import { orderedId } from '../../protocol/index.js';
import type { CommandRunner } from '../exec/types.js';
import type { ActionDefinition } from '../query/executor.js';
import { outOfScope } from '../query/executor.js';
import type { Placement } from '../query/placement.js';
import { placement } from '../query/placement.js';
import type { AgentResource } from '../query/resources.js';
import { resourceEnv } from '../query/resources.js';
import type { CompiledDefinitions } from './compile.js';

/** What set a bot off, with the values its argument templates may use. */
export type Trigger =
  | { readonly kind: 'alarm'; readonly alarm: string; readonly on: 'fired' | 'cleared'; readonly resource: AgentResource; readonly value: number | null; readonly severity: string }
  | { readonly kind: 'process_restarted'; readonly resource: AgentResource; readonly process: string; readonly pid: number }
  | { readonly kind: 'host_joined'; readonly resource: AgentResource }
  | { readonly kind: 'container'; readonly event: ContainerTriggerEvent; readonly resource: AgentResource }
  | { readonly kind: 'external'; readonly name: string; readonly on: 'fired' | 'resolved'; readonly resource: AgentResource; readonly context: Readonly<Record<string, string | number | boolean>> };

/** The control plane's answer to "may this bot run now?" (circuit breaker); undefined when it cannot be asked. */
export type PermitAsker = (bot: string, resource: string) => Promise<{ allowed: boolean; reason: string } | undefined>;
/** Hands a run that needs a person's approval to the control plane; false when it cannot be reached. */
export type ApprovalAsker = (request: { bot: string; action: string; resource: string; args: Record<string, string | number | boolean>; expiresSeconds: number; context: Record<string, unknown> }) => boolean;

export interface BotDeps {
  readonly host: string;
  readonly runner: CommandRunner;
  readonly permit: PermitAsker;
  readonly approval: ApprovalAsker;
  /** Records events durably (the outbox) and passes them on. */
  emit(event: FleetEvent): void;
  /** Whether an action's `allowed` statement selects the resource (true when it has none). */
  inScope(action: ActionDefinition, resource: AgentResource): Promise<boolean>;
  /** Whether the alarm still fires on the resource (for verification). */
  firing(alarm: string, resourceId: string): boolean;
  /** Why no new run of this bot may start now (maintenance, the bot switched off), or undefined. */
  held?(bot: string): string | undefined;
  /** Where an action on the resource runs (a pod's: inside its main container); by default hosts and processes on the host, a container inside itself. */
  place?(resource: AgentResource): Placement;
  now(): number;
}

const OUTPUT_IN_EVENT = 4096;

/**
 * Runs bots on the agent: when a trigger matches, applies the per-resource
 * cooldown, asks the fleet-wide circuit breaker (or follows the bot's offline
 * policy), hands approval-gated runs to the control plane, runs the action
 * with its arguments as environment variables, and verifies that the alarm
 * cleared in time, escalating when it did not.
 */
export class BotEngine {
  private readonly lastRun = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly deps: BotDeps) {}

  async handle(trigger: Trigger, defs: CompiledDefinitions): Promise<void> {
    const bots = defs.bots.filter((b) => matches(b, trigger));
    await Promise.all(bots.map((b) => this.run(b, trigger, defs)));
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private async run(bot: BotDefinition, trigger: Trigger, defs: CompiledDefinitions): Promise<void> {
    const resource = trigger.resource;
    const action = defs.actions.get(bot.action);
    const base = { bot: bot.name, action: bot.action, resource: resource.ref.id, alarm: trigger.kind === 'alarm' ? trigger.alarm : null, value: trigger.kind === 'alarm' ? trigger.value : null };
    const skip = (reason: string) => this.event('bot_skipped', base, `bot ${bot.name} did not run on ${label(resource)}: ${reason}`, { reason });
    const held = this.deps.held?.(bot.name);
    if (held) return skip(held);
    if (!action) return skip(`action ${bot.action} is not defined`);
    // Inside the container (a pod's main one) for a container or pod: never on the host instead.
    const place = this.deps.place?.(resource) ?? placement(resource, []);
    if ('error' in place) return skip(place.error);
    // The action's rule, checked again here: the agent runs bots on its own, and only for itself.
    const refusal = actionRefusal(defs.actionDefs.get(bot.action) ?? { name: bot.action }, { name: botPrincipal(bot.name, this.deps.host) });
    if (refusal) return skip(refusal);
    if (action.scope && !(await this.deps.inScope(action, resource))) return skip(outOfScope(action.name, action.scope.statement, resource.ref.id));

    const key = `${bot.name}\u0000${resource.ref.id}`;
    const now = this.deps.now();
    const last = this.lastRun.get(key);
    if (last !== undefined && now - last < bot.cooldownSeconds * 1000) {
      return skip(`cooldown: it ran ${Math.round((now - last) / 1000)}s ago, cooldown is ${bot.cooldownSeconds}s`);
    }
    const args = fillArgs(bot.args, context(trigger, this.deps.host));
    if (bot.approval) {
      const asked = this.deps.approval({ bot: bot.name, action: bot.action, resource: resource.ref.id, args, expiresSeconds: bot.approval.expiresSeconds, context: context(trigger, this.deps.host) });
      this.lastRun.set(key, now);
      if (!asked) skip('it needs approval, and the control plane cannot be reached to ask for it');
      return;
    }
    // Hold the cooldown while the circuit breaker is asked, so a second trigger meanwhile does not run
    // the action again; a run that is then not allowed gives it back.
    this.lastRun.set(key, now);
    const release = () => {
      if (this.lastRun.get(key) !== now) return;
      if (last === undefined) this.lastRun.delete(key);
      else this.lastRun.set(key, last);
    };
    const permit = await this.deps.permit(bot.name, resource.ref.id);
    if (permit && !permit.allowed) {
      release();
      return skip(`circuit breaker: ${permit.reason}`);
    }
    if (!permit && bot.offline === 'skip') {
      release();
      return skip('the control plane cannot be reached to check the circuit breaker, and the bot\'s offline policy is skip');
    }
    this.lastRun.set(key, this.deps.now());

    const env: Record<string, string> = { ...resourceEnv(resource) };
    for (const p of action.params) {
      const v = args[p.name] ?? p.default;
      if (v !== undefined) env[p.name] = String(v);
    }
    const runId = orderedId();
    const result = await this.deps.runner.run({ command: action.command, env, timeoutMs: action.timeoutMs, maxOutputBytes: action.maxOutputBytes, ...(action.user ? { user: action.user } : {}), ...(action.secrets ? { secrets: action.secrets } : {}), ...place });
    const ok = !result.error && !result.timedOut && result.exitCode === 0;
    const outcome = result.error ? `could not run: ${result.error}` : result.timedOut ? `timed out after ${action.timeoutMs / 1000}s` : `exit ${result.exitCode}`;
    this.event(
      'bot_ran',
      { ...base, runId },
      `bot ${bot.name} ran ${bot.action} on ${label(resource)}: ${outcome}${permit ? '' : ' (control plane unreachable; ran under the offline policy)'}`,
      {
        ok,
        args,
        exitCode: result.exitCode,
        stdout: result.stdout.slice(0, OUTPUT_IN_EVENT),
        stderr: result.stderr.slice(0, OUTPUT_IN_EVENT),
        durationMs: Math.round(result.durationMs),
        timedOut: result.timedOut,
        offline: !permit,
        trigger: trigger.kind === 'alarm' ? `alarm ${trigger.alarm} ${trigger.on}` : trigger.kind === 'container' ? trigger.event : trigger.kind === 'external' ? `external ${trigger.name} ${trigger.on}` : trigger.kind,
      },
    );
    if (bot.verify && trigger.kind === 'alarm' && trigger.on === 'fired') this.verify(bot, trigger, bot.verify.withinSeconds);
  }

  private verify(bot: BotDefinition, trigger: Extract<Trigger, { kind: 'alarm' }>, withinSeconds: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.deps.firing(trigger.alarm, trigger.resource.ref.id)) return;
      this.event(
        'escalated',
        { bot: bot.name, action: bot.action, resource: trigger.resource.ref.id, alarm: trigger.alarm, value: trigger.value },
        `bot ${bot.name} ran ${bot.action} on ${label(trigger.resource)}, but alarm ${trigger.alarm} did not clear within ${withinSeconds}s`,
        { withinSeconds },
      );
    }, withinSeconds * 1000);
    timer.unref?.();
    this.timers.add(timer);
  }

  private event(type: FleetEvent['type'], f: { bot: string; action: string; resource: string; alarm: string | null; value: number | null; runId?: string }, message: string, details: Record<string, unknown>): void {
    this.deps.emit({
      id: orderedId(),
      time: this.deps.now(),
      type,
      host: this.deps.host,
      resource: f.resource,
      alarm: f.alarm,
      bot: f.bot,
      action: f.action,
      severity: null,
      runId: f.runId ?? null,
      principal: `bot:${f.bot}`,
      message,
      value: f.value,
      details,
    });
  }
}

function matches(bot: BotDefinition, t: Trigger): boolean {
  const trigger = bot.trigger;
  if ('alarm' in trigger) return t.kind === 'alarm' && t.alarm === trigger.alarm && t.on === trigger.on;
  if ('event' in trigger) {
    if (trigger.event === 'host_joined') return t.kind === 'host_joined';
    if (trigger.event === 'process_restarted') return t.kind === 'process_restarted' && t.process === trigger.process;
    return t.kind === 'container' && t.event === trigger.event && (trigger.container === undefined || t.resource.attrs.name === trigger.container);
  }
  return t.kind === 'external' && t.name === trigger.external && (trigger.on ?? 'fired') === t.on;
}

function label(r: AgentResource): string {
  return r.ref.type === 'host' ? r.ref.name : `${r.ref.host}/${r.ref.name}:${r.pid ?? ''}`;
}

/** The values `${...}` templates in bot arguments may use. */
export function context(t: Trigger, host: string): Record<string, string | number | boolean | undefined> {
  const base: Record<string, string | number | boolean | undefined> = { host, resource: t.resource.ref.id };
  if (t.kind === 'alarm') Object.assign(base, { 'alarm.name': t.alarm, 'alarm.value': t.value ?? '', 'alarm.severity': t.severity });
  if (t.kind === 'process_restarted') Object.assign(base, { 'process.pid': t.pid, 'process.name': t.process });
  if (t.kind === 'external') for (const [k, v] of Object.entries(t.context)) base[`event.${k}`] = v;
  if (t.resource.pid !== undefined) Object.assign(base, { 'process.pid': t.resource.pid, 'process.name': t.resource.attrs.name });
  const { ref, attrs } = t.resource;
  if (ref.type === 'container') Object.assign(base, { 'container.id': attrs.id, 'container.name': attrs.name, 'container.image': attrs.image, 'pod.name': attrs.pod, 'pod.namespace': t.resource.podNamespace ?? '' });
  if (ref.type === 'pod') Object.assign(base, { 'pod.name': attrs.name, 'pod.namespace': attrs.namespace });
  return base;
}

/** Fills `${name}` placeholders from the trigger's context, as the definitions define templates. */
export function fillArgs(args: Readonly<Record<string, string | number | boolean>>, ctx: Readonly<Record<string, string | number | boolean | undefined>>): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(args)) out[k] = typeof v === 'string' ? expandTemplate(v, ctx) : v;
  return out;
}
