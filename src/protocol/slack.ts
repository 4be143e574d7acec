import { z } from 'zod';

/*
 * What Slack sends to the control plane (docs/integrations.md "## Slack"): a slash command's form
 * fields, and an interaction's `payload` (a button clicked on a message Breakwater posted). Only
 * the fields Breakwater reads are checked; Slack adds fields over time and those pass untouched.
 * Every string is bounded: the body limit bounds the whole, these bound what is kept and echoed.
 */

const text = (max: number) => z.string().check(z.maxLength(max));
/** Slack's user ids: `U…`, or `W…` for Enterprise Grid. */
const userId = z.string().check(z.regex(/^[UW][A-Z0-9]{2,31}$/, 'expected a Slack user id such as U012AB3CD'));
const responseUrl = z.string().check(z.maxLength(2048), z.regex(/^https?:\/\/[^\s@]+$/, 'expected an http(s) URL without credentials'));

/** A slash command (`/breakwater run <pipeline>`), as Slack posts it form-encoded. */
export const SlackCommand = z.object({
  command: text(64),
  text: text(4000).default(''),
  user_id: userId,
  user_name: text(256).optional(),
  team_id: text(64).optional(),
  channel_id: text(64).optional(),
  response_url: responseUrl.optional(),
});
export type SlackCommand = z.infer<typeof SlackCommand>;

/** The most buttons a payload names: Slack sends the one clicked. */
const MAX_ACTIONS = 5;

/** A button clicked (`block_actions`); the form field `payload` is this as JSON. */
export const SlackInteraction = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: userId, username: text(256).optional() }),
  response_url: responseUrl,
  actions: z
    .array(z.object({ action_id: text(255), value: text(2000).optional() }))
    .check(z.minLength(1), z.maxLength(MAX_ACTIONS)),
});
export type SlackInteraction = z.infer<typeof SlackInteraction>;

/** The action ids of the buttons Breakwater's messages carry; the value is the approval's id or the statement. */
export const SLACK_ACTIONS = { approve: 'bw_approve', deny: 'bw_deny', confirmRun: 'bw_confirm_run' } as const;
