/**
 * Picks the link actor for a resolved configuration. The one place that knows every transport.
 */

import type { Writable } from 'node:stream';
import type { LinkLogic, LinkSink } from '../transports/link.js';
import { createStdioLink } from '../transports/stdio.js';
import type { ResolvedConfig } from './options.js';

/** The link actor logic for this configuration, delivering to `sink`. */
export function createLinkLogic(
  config: ResolvedConfig,
  sink: LinkSink,
  stderrStream: Writable | null,
): LinkLogic {
  return createStdioLink(
    {
      ...config.stdio,
      stderrStream: stderrStream ?? undefined,
      maxMessageBytes: config.limits.maxMessageBytes,
    },
    sink,
  );
}
