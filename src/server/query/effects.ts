import type { AgentStep, Phase, PlanExpr } from '../../lang/index.js';

/** A step that runs something on the host: a command, an action, or a check command inside an expression. */
export function isEffect(s: AgentStep): boolean {
  if (s.op === 'command' || s.op === 'action') return true;
  return s.op !== 'traverse' && runsCommand(s.expr);
}

function runsCommand(e: PlanExpr): boolean {
  switch (e.k) {
    case 'cmd':
      return true;
    case 'call':
      return e.args.some(runsCommand);
    case 'list':
      return e.items.some(runsCommand);
    case 'not':
    case 'neg':
      return runsCommand(e.x);
    case 'bin':
      return runsCommand(e.l) || runsCommand(e.r);
    default:
      return false;
  }
}

/** A dry run stops before the first step that would run something: what is left lists the targets. */
export function dryRunPhases(phases: readonly Phase[]): Phase[] {
  const out: Phase[] = [];
  for (const p of phases) {
    if (p.where === 'rollout') break;
    if (p.where !== 'agent') {
      out.push(p);
      continue;
    }
    const cut = p.steps.findIndex(isEffect);
    if (cut < 0) {
      out.push(p);
      continue;
    }
    if (cut > 0) out.push({ ...p, steps: p.steps.slice(0, cut) });
    break;
  }
  return out;
}
