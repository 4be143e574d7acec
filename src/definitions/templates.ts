/*
 * `${...}` templates in bot arguments: `dir: /data/${host}/logs`. The parser
 * checks them against what the bot's trigger provides; the agent expands them
 * with expandTemplate when the bot runs, so both read the same syntax.
 *
 * Syntax: `${name}` where name is one of TEMPLATE_VARIABLES or `event.<field>`;
 * `$${` is a literal `${`; any other `$` is literal (so `$HOME` stays as is).
 */

/** Variables a bot argument may use, besides `event.<field>`. */
export const TEMPLATE_VARIABLES = ['host', 'resource', 'alarm.name', 'alarm.value', 'alarm.severity', 'process.pid', 'process.name', 'container.id', 'container.name', 'container.image', 'pod.name', 'pod.namespace'] as const;

/** The variables a trigger gives by the type of the resource its action runs on. */
export const RESOURCE_TEMPLATE_VARIABLES: Readonly<Partial<Record<string, readonly string[]>>> = {
  process: ['process.pid', 'process.name'],
  // A container's pod: empty when it has none.
  container: ['container.id', 'container.name', 'container.image', 'pod.name', 'pod.namespace'],
  pod: ['pod.name', 'pod.namespace'],
};

export type TemplatePart =
  | { readonly kind: 'text'; readonly text: string }
  /** `start` is the offset of `${` in the template. */
  | { readonly kind: 'var'; readonly name: string; readonly start: number };

export interface TemplateError {
  readonly offset: number;
  readonly message: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** Splits a template into text and variables; malformed `${` are reported as errors. */
export function parseTemplate(template: string): { parts: TemplatePart[]; errors: TemplateError[] } {
  const parts: TemplatePart[] = [];
  const errors: TemplateError[] = [];
  let text = '';
  let i = 0;
  while (i < template.length) {
    if (template.startsWith('$${', i)) {
      text += '${';
      i += 3;
    } else if (template.startsWith('${', i)) {
      const end = template.indexOf('}', i + 2);
      if (end < 0) {
        errors.push({ offset: i, message: 'a `${` with no closing `}` (write `$${` for a literal `${`)' });
        text += template.slice(i);
        break;
      }
      const name = template.slice(i + 2, end);
      if (!NAME.test(name)) {
        errors.push({ offset: i, message: `expected a variable name inside \`\${...}\`, found \`\${${name}}\`` });
        text += template.slice(i, end + 1);
      } else {
        if (text) parts.push({ kind: 'text', text });
        text = '';
        parts.push({ kind: 'var', name, start: i });
      }
      i = end + 1;
    } else {
      text += template[i];
      i++;
    }
  }
  if (text) parts.push({ kind: 'text', text });
  return { parts, errors };
}

/** Whether a value contains at least one template variable. */
export function hasTemplate(template: string): boolean {
  return parseTemplate(template).parts.some((p) => p.kind === 'var');
}

/**
 * Replaces each `${name}` with its value; a variable with no value becomes the
 * empty string (the parser has already rejected variables a trigger lacks).
 *
 * @example
 * expandTemplate('/data/${host}/logs', { host: 'web-1' }) // '/data/web-1/logs'
 */
export function expandTemplate(template: string, values: Readonly<Record<string, string | number | boolean | undefined>>): string {
  return parseTemplate(template)
    .parts.map((p) => (p.kind === 'text' ? p.text : String(values[p.name] ?? '')))
    .join('');
}
