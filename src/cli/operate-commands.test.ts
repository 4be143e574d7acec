import { describe, expect, it } from 'vitest';
import { switchesText } from './operate-commands.js';

describe('maintenance status for people', () => {
  it('says whether maintenance is on, by whom and why, then each bot switched off', () => {
    const text = switchesText({
      maintenance: { on: true, reason: 'db upgrade', setBy: 'lead', setAt: Date.UTC(2026, 11, 6, 5, 30) },
      bots: [
        { name: 'cleaner', defined: true, enabledInDefinitions: true, off: { by: 'ops', at: Date.UTC(2026, 11, 6, 5, 31), reason: 'INC-4211' } },
        { name: 'restarter', defined: true, enabledInDefinitions: true, off: null },
        { name: 'gone', defined: false, enabledInDefinitions: false, off: { by: 'ops', at: Date.UTC(2026, 11, 6, 5, 32), reason: '' } },
      ],
    });
    expect(text).toBe(
      'Maintenance mode: on since 2026-12-06 05:30:00Z, set by lead: db upgrade\nBots switched off:\n  cleaner: by ops at 2026-12-06 05:31:00Z: INC-4211\n  gone: by ops at 2026-12-06 05:32:00Z (no longer defined)\n',
    );
    expect(switchesText({ maintenance: { on: false, reason: null, setBy: null, setAt: null }, bots: [] })).toBe('Maintenance mode: off\nNo bot is switched off.\n');
  });
});
