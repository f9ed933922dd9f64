/**
 * The transport's token keeper: made when an HTTP or WebSocket endpoint has an `authProvider`,
 * given the secrets list (every token it learns is redacted from logs and errors from then
 * on) and the dispatcher of the authorization requests.
 */

import { createLinkAuth, type TransportAuth } from '../../auth/index.js';
import type { ResolvedConfig } from '../options/resolve.js';
import { authDispatcher } from './links.js';

/** The keeper of the `authProvider`'s tokens, or undefined when none is configured. */
export function createTransportAuth(
  config: ResolvedConfig,
  now: () => number,
  onSignIn: (waiting: boolean) => void,
): TransportAuth | undefined {
  const endpoint = config.http ?? config.ws;
  const auth = endpoint?.auth;
  if (endpoint === undefined || auth === undefined) return undefined;
  // The resource is the server's http(s) URL, also for a WebSocket endpoint.
  const serverUrl = new URL(endpoint.url.href.replace(/^ws/i, 'http'));
  const secrets = config.secrets as string[];
  return createLinkAuth({
    serverUrl,
    provider: auth.provider,
    oauth: auth.oauth,
    allowInsecure: auth.allowInsecure,
    dispatcher: authDispatcher(),
    secret: (value) => addSecret(secrets, value),
    now,
    onSignIn,
  });
}

/** Adds a value to the live secrets list (longest first, so one inside another is redacted whole). */
function addSecret(secrets: string[], value: string): void {
  if (secrets.includes(value)) return;
  secrets.push(value);
  secrets.sort((a, b) => b.length - a.length);
}
