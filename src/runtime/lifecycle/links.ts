/**
 * Picks the link actor for a resolved configuration. The one place that knows every transport.
 */

import type { Writable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { LinkAuth, LinkLogic, LinkSink, ReleasingLinkLogic } from '../../link/contract.js';
import { createDockerLink } from '../../transports/docker/link.js';
import { createDispatcher, proxySettings } from '../../transports/http/dispatcher.js';
import { createHttpFamilyLink } from '../../transports/http/family.js';
import { createStdioLink } from '../../transports/stdio/link.js';
import { createWebSocketLink } from '../../transports/websocket/link.js';
import type { ResolvedConfig } from '../options/resolve.js';

/**
 * The dispatcher for a transport's authorization requests (discovery, registration, tokens):
 * through the environment's proxy when one is set, else undici's global one (undefined).
 */
export function authDispatcher(): Dispatcher | undefined {
  const proxy = proxySettings();
  if (proxy.httpProxy === undefined && proxy.httpsProxy === undefined) return undefined;
  return createDispatcher({}, proxy);
}

/**
 * The link actor logic for this configuration, delivering to `sink`. `auth` (the transport's
 * token keeper, with an `authProvider`) gives remote links their `Authorization` header.
 */
export function createLinkLogic(
  config: ResolvedConfig,
  sink: LinkSink,
  stderrStream: Writable | null,
  auth?: LinkAuth,
): LinkLogic | ReleasingLinkLogic {
  const { maxMessageBytes } = config.limits;
  if (config.http !== undefined) {
    const { mode, url, headers, redirect } = config.http;
    const resumeDelayMs = config.policy.reconnect.initialDelayMs;
    const secrets = config.secrets;
    const { connectMs } = config.policy.timeouts;
    return createHttpFamilyLink(
      { url, headers, redirect, maxMessageBytes, resumeDelayMs, secrets, connectMs, auth },
      sink,
      mode,
    );
  }
  if (config.ws !== undefined) {
    const { url, headers } = config.ws;
    const closeMs = config.policy.timeouts.closeMs;
    return createWebSocketLink(
      { url, headers, maxMessageBytes, closeMs, secrets: config.secrets, auth },
      sink,
    );
  }
  if (config.docker !== undefined)
    return createDockerLink({ ...config.docker, maxMessageBytes, name: config.name }, sink);
  if (config.stdio === undefined) throw new TypeError('A resolved configuration names one transport');
  return createStdioLink(
    { ...config.stdio, stderrStream: stderrStream ?? undefined, maxMessageBytes, secrets: config.secrets },
    sink,
  );
}
