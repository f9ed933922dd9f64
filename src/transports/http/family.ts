/**
 * The HTTP family's link: Streamable HTTP, legacy HTTP+SSE, or the automatic choice between
 * them for a bare `url` (Streamable HTTP first; HTTP+SSE once the endpoint is known to speak
 * only that, a verdict cached per endpoint).
 */

import { fromCallback } from 'xstate';
import type { LinkCloseEvent, LinkInput, LinkLogic, LinkSink } from '../link.js';
import { runSseLink } from '../sse.js';
import { runStreamableLink, type StreamableLinkOptions } from './streamable.js';
import { verdictFor } from './verdicts.js';

/** Which HTTP transport to use: `auto` (a bare `url`), or one forced by `type`. */
export type HttpMode = 'auto' | 'http' | 'sse';

/** The link actor logic for an HTTP-family server. */
export function createHttpFamilyLink(
  options: Omit<StreamableLinkOptions, 'fallback'>,
  sink: LinkSink,
  mode: HttpMode,
): LinkLogic {
  const streamable = runStreamableLink({ ...options, fallback: mode === 'auto' }, sink);
  const sse = runSseLink(options, sink);
  return fromCallback<LinkCloseEvent, LinkInput>((args) => {
    const useSse = mode === 'sse' || (mode === 'auto' && verdictFor(options.url) === 'sse');
    return useSse ? sse(args) : streamable(args);
  });
}
