/*
 * The `tags` attribute of containers and pods: a resource's tags (its labels, under the names the
 * language gives them) as one JSON object text, so that the existing query path carries them: the
 * Console and the CLI complete tag keys and values after `container |` and `pod |` from
 * `container | distinct(tags)`, and the Fleet page shows them. Labels are whatever a container's
 * creator wrote: the text is bounded, and reading it accepts anything and keeps only string pairs.
 */
import type { ResultRow } from './rows.js';

/** The longest `tags` text: pairs past it (in key order) are left out, never cut in half. */
export const MAX_TAGS_TEXT = 4096;

/**
 * A resource's tags as the `tags` attribute's text: a JSON object, keys sorted, at most
 * {@link MAX_TAGS_TEXT} characters (whole pairs).
 *
 * @example
 * tagsText({ run: 'r1', app: 'checkout' }); // '{"app":"checkout","run":"r1"}'
 */
export function tagsText(tags: Readonly<Record<string, string>>): string {
  let text = '';
  for (const key of Object.keys(tags).sort()) {
    const pair = `${JSON.stringify(key)}:${JSON.stringify(tags[key])}`;
    // 2 for the braces, 1 for a comma.
    if (text.length + pair.length + 3 > MAX_TAGS_TEXT) continue;
    text += text ? `,${pair}` : pair;
  }
  return `{${text}}`;
}

/**
 * The tags a `tags` text names; `{}` for anything else (not a string, too long, not JSON, not an
 * object). Values that are not strings are left out; never throws.
 *
 * @example
 * parseTagsText('{"app":"checkout"}'); // { app: 'checkout' }
 */
export function parseTagsText(text: unknown): Record<string, string> {
  if (typeof text !== 'string' || text.length > MAX_TAGS_TEXT || !text.startsWith('{')) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {};
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string' && k !== '__proto__') tags[k] = v;
  return tags;
}

/**
 * The read-only statements that list what the fleet's containers and pods have, for completion
 * after `container |` and `pod |` (the web Console and `breakwater __complete` run the same).
 * `distinct` runs on the control plane, so the answer is at most `limit` rows however many
 * containers the fleet runs.
 */
export const RESOURCE_VALUES_STATEMENTS = {
  container: 'container | distinct(tags, name, image, state, runtime, pod) | limit(1000)',
  pod: 'pod | distinct(tags, name, namespace) | limit(1000)',
} as const;

/**
 * A row of those statements as completion reads it: its tags (from the `tags` text) and its other
 * string columns as attributes (the `count` of `distinct` left out).
 *
 * @example
 * completionValues({ status: 'ok', values: { tags: '{"app":"shop"}', image: 'nginx', count: 2 } });
 * // { tags: { app: 'shop' }, attributes: { image: 'nginx' } }
 */
export function completionValues(row: Pick<ResultRow, 'values'>): { tags: Record<string, string>; attributes: Record<string, string> } {
  const attributes: Record<string, string> = {};
  for (const [k, v] of Object.entries(row.values)) if (k !== 'tags' && typeof v === 'string' && k !== '__proto__') attributes[k] = v;
  return { tags: parseTagsText(row.values.tags), attributes };
}
