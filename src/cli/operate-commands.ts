import type { Command } from 'commander';
import { BreakwaterError } from '../protocol/index.js';
import type { Endpoint } from './api.js';
import type { Connection, ConnectionFlags, OutputFlags } from './command-wiring.js';
import type { Io } from './io.js';
import type { OutputFormat } from './output-format.js';

interface SilenceItem {
  id: string;
  alarm: string | null;
  hosts: string;
  reason: string;
  createdBy: string;
  endsAt: number;
  endedBy: string | null;
  state: 'active' | 'ended' | 'expired';
}

interface SwitchesAnswer {
  maintenance: { on: boolean; reason: string | null; setBy: string | null; setAt: number | null };
  bots: { name: string; defined: boolean; enabledInDefinitions: boolean; off: { by: string; at: number; reason: string } | null }[];
}

/** A time as the CLI's listings write it: `2026-12-06 05:30:00Z`. */
const when = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');

/**
 * `breakwater silence create|list|end`, `breakwater maintenance on|off|status` and `breakwater bot
 * disable|enable`: what operators switch during an incident (docs/cli.md). The API client is loaded
 * when one of them runs, not when the command line is built (see index.ts).
 */
export function addOperateCommands(program: Command, connection: Connection, io: Io, done: (code: number) => void, output: OutputFlags): void {
  const endpoint = async (o: ConnectionFlags): Promise<Endpoint> => (await import('./api.js')).endpointFrom(o, io.env);

  const silence = program.command('silence').description('silence an alarm on some hosts for a while: it still evaluates and is recorded, but its bots do not run and nothing notifies');
  connection(silence.command('create'))
    .description('silence one alarm (or, without --alarm, every alarm) on the hosts a selection picks')
    .option('--alarm <name>', 'the alarm (default: every alarm)')
    .requiredOption('--hosts <selection>', 'a host selection on tags or attributes, e.g. \'host | role = "web"\' (or \'host\' for all)')
    .requiredOption('--for <duration>', 'how long, e.g. 2h (at least 1m, at most 90d)')
    .requiredOption('--reason <text>', 'why: shown to everyone who sees the silence')
    .option('--json', 'print the silence as JSON')
    .action(async (o: ConnectionFlags & { alarm?: string; hosts: string; for: string; reason: string; json?: boolean }) => {
      const { durationMs } = await import('../agent/index.js');
      const { postJson } = await import('./api.js');
      const durationSeconds = Math.round(durationMs('--for', o.for) / 1000);
      const s = await postJson<SilenceItem>(await endpoint(o), '/api/v1/silences', { alarm: o.alarm ?? null, hosts: o.hosts, durationSeconds, reason: o.reason });
      if (o.json) io.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
      else io.stdout.write(`Silenced ${s.alarm === null ? 'every alarm' : `alarm ${s.alarm}`} on ${s.hosts} until ${when(s.endsAt)} (silence ${s.id}); end it early with breakwater silence end ${s.id}\n`);
      done(0);
    });
  connection(silence.command('list'))
    .description('silences in force and those ended or expired in the last day')
    .addOption(output.outputOption())
    .option('--json', 'the same as -o json')
    .action(async (o: ConnectionFlags & { output?: string; json?: boolean }) => {
      done(await silenceList(await endpoint(o), output.outputFormatOf(o), io));
    });
  connection(silence.command('end'))
    .description('end a silence before its time')
    .argument('<id>', 'the silence id (breakwater silence list)')
    .action(async (id: string, o: ConnectionFlags) => {
      const { request } = await import('./api.js');
      const s = (await (await request(await endpoint(o), 'DELETE', `/api/v1/silences/${encodeURIComponent(id)}`)).json()) as SilenceItem;
      io.stdout.write(`Ended silence ${s.id} (${s.alarm ?? 'every alarm'} on ${s.hosts}).\n`);
      done(0);
    });

  const maintenance = program.command('maintenance').description('the fleet-wide maintenance switch: while on, running work finishes but new automated runs (bots, schedules) are refused');
  for (const on of [true, false]) {
    connection(maintenance.command(on ? 'on' : 'off'))
      .description(on ? 'turn maintenance mode on: bots and schedules start no new run' : 'turn maintenance mode off: automated runs resume')
      .option('--reason <text>', 'why (required to turn it on)')
      .action(async (o: ConnectionFlags & { reason?: string }) => {
        if (on && !o.reason?.trim()) throw new BreakwaterError('BW_ERR_CONFIG', '--reason: say why maintenance mode is on (it is shown to everyone, and in the events)');
        const { request } = await import('./api.js');
        await (await request(await endpoint(o), 'PUT', '/api/v1/maintenance', { on, reason: o.reason ?? '' })).body?.cancel();
        io.stdout.write(on ? 'Maintenance mode is on: running work finishes; bots and schedules start no new run. Ad-hoc commands still run.\n' : 'Maintenance mode is off: automated runs resume.\n');
        done(0);
      });
  }
  connection(maintenance.command('status'))
    .description('whether maintenance mode is on, and the bots switched off')
    .option('--json', 'print JSON')
    .action(async (o: ConnectionFlags & { json?: boolean }) => {
      const { getJson } = await import('./api.js');
      const answer = await getJson<SwitchesAnswer>(await endpoint(o), '/api/v1/switches');
      if (o.json) io.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
      else io.stdout.write(switchesText(answer));
      done(0);
    });

  const bot = program.command('bot').description('switch a bot off or on at once, without editing the definitions (an incident\'s kill switch)');
  for (const enable of [false, true]) {
    connection(bot.command(enable ? 'enable' : 'disable'))
      .description(enable ? 'switch a bot back on' : 'switch a bot off: it starts no new run until switched on, or its definition is applied anew')
      .argument('<name>', 'the bot, as defined')
      .option('--reason <text>', 'why', '')
      .action(async (name: string, o: ConnectionFlags & { reason: string }) => {
        const { postJson } = await import('./api.js');
        await postJson<SwitchesAnswer>(await endpoint(o), `/api/v1/bots/${encodeURIComponent(name)}/${enable ? 'enable' : 'disable'}`, { reason: o.reason });
        io.stdout.write(enable ? `Bot ${name} is switched on.\n` : `Bot ${name} is switched off; breakwater drift shows it until it is switched on again.\n`);
        done(0);
      });
  }
}

async function silenceList(ep: Endpoint, format: OutputFormat, io: Io): Promise<number> {
  const [{ getJson }, { printListing }] = await Promise.all([import('./api.js'), import('./listing.js')]);
  const items = await getJson<SilenceItem[]>(ep, '/api/v1/silences');
  await printListing(io, format, items as unknown as Record<string, unknown>[], {
    columns: [
      ['ID', (i) => String(i.id)],
      ['STATE', (i) => String(i.state)],
      ['ALARM', (i) => (i.alarm === null ? '(every alarm)' : String(i.alarm))],
      ['HOSTS', (i) => String(i.hosts)],
      ['ENDS', (i) => when(Number(i.endsAt))],
      ['BY', (i) => String(i.createdBy)],
      ['REASON', (i) => String(i.reason)],
    ],
    wide: [['ENDED BY', (i) => (i.endedBy === null ? '-' : String(i.endedBy))]],
    name: (i) => `silence/${String(i.id)}`,
  });
  return 0;
}

/** `maintenance status` for people: the switch, then each bot switched off. */
export function switchesText(s: SwitchesAnswer): string {
  const m = s.maintenance;
  const lines = [m.on ? `Maintenance mode: on since ${when(m.setAt ?? 0)}, set by ${m.setBy ?? '?'}: ${m.reason ?? ''}` : 'Maintenance mode: off'];
  const off = s.bots.filter((b) => b.off);
  lines.push(off.length ? 'Bots switched off:' : 'No bot is switched off.');
  for (const b of off) lines.push(`  ${b.name}: by ${b.off?.by ?? '?'} at ${when(b.off?.at ?? 0)}${b.off?.reason ? `: ${b.off.reason}` : ''}${b.defined ? '' : ' (no longer defined)'}`);
  return `${lines.join('\n')}\n`;
}
