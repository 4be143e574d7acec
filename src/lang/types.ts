import type { ShownAs } from './catalogue.js';
import type { Dimension } from './units.js';

/**
 * Value types the checker assigns. Numbers carry their dimension so that
 * `mem_rss_bytes > 5m` is caught; `range` marks a window of samples, which
 * only range functions accept; `shownAs` marks a number that is no measure (an
 * event's `time`, a pid), so answers show it as a date or as it is.
 */
export type ValueType =
  | { readonly t: 'number'; readonly dim: Dimension; readonly range?: boolean; readonly shownAs?: ShownAs }
  | { readonly t: 'string' }
  | { readonly t: 'bool'; readonly range?: boolean }
  | { readonly t: 'list'; readonly of: ValueType }
  | { readonly t: 'command' }
  /** Already reported, or not knowable before run time (a tag, a command's output): accept quietly. */
  | { readonly t: 'any' };

export const T = {
  number: (dim: Dimension = 'none'): ValueType => ({ t: 'number', dim }),
  string: { t: 'string' } as ValueType,
  bool: { t: 'bool' } as ValueType,
  command: { t: 'command' } as ValueType,
  any: { t: 'any' } as ValueType,
};

export function describeType(type: ValueType): string {
  switch (type.t) {
    case 'number':
      return type.range ? 'a range of numbers' : type.dim === 'none' || type.dim === 'count' ? 'a number' : `a number (${type.dim.replace(/_/g, ' ')})`;
    case 'string':
      return 'a string';
    case 'bool':
      return type.range ? 'a range of true/false' : 'true/false';
    case 'list':
      return 'a list';
    case 'command':
      return 'a command';
    case 'any':
      return 'any value';
  }
}
