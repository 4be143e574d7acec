import { z } from 'zod/mini';

/*
 * One rule for host tags, on both sides of the protocol: the agent checks its own configuration
 * with it, and the control plane checks every hello (and re-hello) with it. Tag keys reach
 * statements, completion in the web Console and shell-quoted contexts, so anything but a plain
 * name is refused where it enters rather than escaped wherever it goes.
 */

/** A tag name: letters, digits, `_`, `.`, `-`, starting with a letter or `_`; at most 64 characters. */
export const TAG_KEY = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

/** The longest tag value. */
export const MAX_TAG_VALUE = 1024;

/** A host's tags: names by {@link TAG_KEY}, values of at most {@link MAX_TAG_VALUE} characters. */
export const TagMap = z.record(
  z.string().check(z.regex(TAG_KEY, 'tag names are letters, digits, `_`, `.`, `-`, starting with a letter')),
  z.string().check(z.maxLength(MAX_TAG_VALUE)),
);
export type TagMap = z.infer<typeof TagMap>;
