import { describe, expect, it } from 'vitest';
import { BUILTIN_CATALOGUE } from '../lang/index.js';
import { EventType } from '../protocol/index.js';

// lang and protocol may not import each other (tools/eslint/layering.js), so a list both need is
// written in each; definitions sees both and keeps them equal.
describe('lists written in both lang and protocol', () => {
  it('the event types statements filter on are the ones the protocol carries', () => {
    expect([...BUILTIN_CATALOGUE.eventTypes].sort()).toEqual([...EventType.options].sort());
  });
});
