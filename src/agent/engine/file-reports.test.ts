import { describe, expect, it } from 'vitest';

import type { FileDefinition } from '../../definitions/index.js';
import type { FleetEvent } from '../../protocol/index.js';
import { jsonLogger } from '../log.js';
import { FileReports } from './file-reports.js';
import type { FileOutcome } from './files.js';

const def = { kind: 'file', name: 'app-conf', path: '/etc/app.conf' } as FileDefinition;
const refused: FileOutcome = { path: '/h/etc/app.conf', changed: false, refused: true, error: '/h/etc/app.conf is a symbolic link: refused to write through it' };

function setup() {
  const events: FleetEvent[] = [];
  const lines: string[] = [];
  const reports = new FileReports({
    host: 'web-1',
    logger: jsonLogger({ level: 'info', component: 'agent', write: (l) => lines.push(l) }),
    emit: (e) => events.push(e),
    now: () => 1000,
    hostResource: () => 'web-1',
  });
  return { events, lines, reports };
}

describe('FileReports', () => {
  it('turns a refusal into a file_failed event naming the path, once while it lasts', () => {
    const { events, lines, reports } = setup();
    reports.report([{ def, outcome: refused }]);
    reports.report([{ def, outcome: refused }]);
    expect(events).toEqual([
      expect.objectContaining({
        type: 'file_failed',
        host: 'web-1',
        resource: 'web-1',
        severity: 'critical',
        principal: null,
        message: 'file app-conf was not put in place on web-1: /h/etc/app.conf is a symbolic link: refused to write through it',
        details: { file: 'app-conf', path: '/h/etc/app.conf', refused: true },
      }),
    ]);
    expect(lines).toHaveLength(2);
  });

  it('reports again when the reason changes, or when the file failed again after being put in place', () => {
    const { events, reports } = setup();
    reports.report([{ def, outcome: refused }]);
    reports.report([{ def, outcome: { path: refused.path, changed: false, error: 'EACCES: permission denied' } }]);
    reports.report([{ def, outcome: { path: refused.path, changed: true } }]);
    reports.report([{ def, outcome: refused }]);
    expect(events.map((e) => [e.severity, e.details['refused']])).toEqual([
      ['critical', true],
      ['warning', false],
      ['critical', true],
    ]);
  });
});
