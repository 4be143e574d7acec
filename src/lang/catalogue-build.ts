import type { AttributeSpec, MetricSpec } from './catalogue.js';
import type { Dimension } from './units.js';

/** A catalogue metric: the name, its unit's dimension, what it means and a statement that uses it. */
export const m = (name: string, dim: Dimension, description: string, example: string, labels: string[] = [], collapse?: MetricSpec['collapse']): MetricSpec =>
  collapse ? { name, dim, labels, description, example, collapse } : { name, dim, labels, description, example };

/** A catalogue attribute. */
export const attr = (name: string, type: AttributeSpec['type'], description: string, dim?: Dimension): AttributeSpec =>
  dim ? { name, type, description, dim } : { name, type, description };
