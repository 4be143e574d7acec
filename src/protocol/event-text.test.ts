import { describe, expect, it } from 'vitest';
import { eventMentions } from './event-text.js';

describe('eventMentions (the events text filter on streamed events)', () => {
  const event = { host: 'web-1', alarm: 'data-disk-full', bot: null, message: 'Disk at 95%', type: 'alarm_fired' };

  it('finds a part of the host, alarm, bot or message in any case, as the API does', () => {
    expect(eventMentions(event, 'WEB')).toBe(true);
    expect(eventMentions(event, 'disk-f')).toBe(true);
    expect(eventMentions(event, '95%')).toBe(true);
    expect(eventMentions({ ...event, bot: 'clean_logs' }, 'N_L')).toBe(true);
  });

  it('does not look at other fields, nor treat % or _ as wildcards', () => {
    expect(eventMentions(event, 'alarm_fired')).toBe(false);
    expect(eventMentions(event, 'web%1')).toBe(false);
    expect(eventMentions(event, 'w_b')).toBe(false);
  });
});
