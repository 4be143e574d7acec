/**
 * The statement an action form runs: `<target query> | <action>(<name> = <value>, ...)`, the text
 * the Console and `breakwater run` would take, so it goes through the same checks, roles, approvals,
 * blast radius and audit. A value is written as its parameter's literal when it is one, and as a
 * quoted string otherwise: the language's checker then refuses it with its own message.
 */
import type { ActionParamSpec } from '../lang/index.js';

/** A form field's text for each parameter, by name (a bool is `true` or `false`). */
export type ActionValues = Readonly<Record<string, string>>;

const NUMBER = /^-?\d+(\.\d+)?$/;
const DURATION = /^\d+(\.\d+)?(ms|s|m|h|d|w)$/;

/** One parameter's value as a literal of the language; undefined when left empty (the default applies, or the checker says it is required). */
export function argLiteral(param: ActionParamSpec, text: string): string | undefined {
  const v = text.trim();
  if (v === '') return undefined;
  if (param.type === 'number' && NUMBER.test(v)) return v;
  if (param.type === 'duration' && DURATION.test(v)) return v;
  if (param.type === 'bool' && (v === 'true' || v === 'false')) return v;
  return JSON.stringify(param.type === 'string' ? text : v);
}

/**
 * The statement running `action` on what `target` selects, with the given values.
 *
 * @example
 * actionStatement('host | role = "web"', { name: 'clean_logs', params: [{ name: 'dir', type: 'string', required: true }] }, { dir: 'data/logs' })
 * // 'host | role = "web" | clean_logs(dir = "data/logs")'
 */
export function actionStatement(target: string, action: { readonly name: string; readonly params: readonly ActionParamSpec[] }, values: ActionValues): string {
  const args = action.params.flatMap((p) => {
    const literal = argLiteral(p, values[p.name] ?? '');
    return literal === undefined ? [] : [`${p.name} = ${literal}`];
  });
  const selection = target.trim().replace(/\|\s*$/, '').trim() || 'host';
  return `${selection} | ${action.name}(${args.join(', ')})`;
}
