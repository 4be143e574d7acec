/*
 * Allowed values of CHECK constraints as a migration wrote them, shared with the later migration
 * that widens them (which must find and extend exactly these). History: never edit a list here;
 * a new value is a new migration.
 */

/** runs.status, as 0001_initial allowed it. */
export const RUN_STATUSES_0001: readonly string[] = ['running', 'succeeded', 'failed', 'cancelled', 'dry_run'];

/** events.type, as 0002_definitions_events_approvals allowed it. One line per list: history to
 *  read, not to edit (the current list is protocol's EventType, see event-types.test.ts). */
export const EVENT_TYPES_0002: readonly string[] = ['alarm_fired', 'alarm_cleared', 'bot_ran', 'bot_skipped', 'escalated', 'approval_requested', 'approved', 'denied', 'agent_joined', 'agent_left', 'definitions_applied', 'run_started', 'run_finished'];

/** events.type, as 0004_event_file_failed allowed it. */
export const EVENT_TYPES_0004: readonly string[] = [...EVENT_TYPES_0002, 'file_failed'];

/** events.type, as 0011_event_agent_reconnected allowed it (0007 had added permit_refused). */
export const EVENT_TYPES_0011: readonly string[] = [...EVENT_TYPES_0004, 'permit_refused', 'agent_reconnected'];

/** events.type, as 0012_silences_switches allowed it. */
export const EVENT_TYPES_0012: readonly string[] = [...EVENT_TYPES_0011, 'silence_created', 'silence_ended', 'maintenance_started', 'maintenance_ended', 'bot_disabled', 'bot_enabled', 'schedule_skipped'];
