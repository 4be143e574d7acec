/**
 * One sample's value from a text exposition (`name{label="v",...}` as prom-client writes it, labels
 * in its order); undefined when the exposition has no such sample.
 *
 * @example
 * sampleValue(await metrics.exposition(), 'breakwater_queries_total{outcome="succeeded"}') // 1
 */
export function sampleValue(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    if (space > 0 && line.slice(0, space) === series) return Number(line.slice(space + 1));
  }
  return undefined;
}
