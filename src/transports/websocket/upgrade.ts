/**
 * The WebSocket upgrade's authorization: the `Authorization` value asked of the auth before
 * the socket opens, and a 401/403 refusal of the upgrade decided by it (a retry at once with
 * renewed credentials, or the link's end).
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization
 */

import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { ErrorCode, LinkError } from '../../errors.js';
import type { LinkAuth, LinkCallback, LinkCloseEvent } from '../../link/contract.js';
import { AuthFailure, askAuth, authOutcome } from '../http/auth-step.js';
import { statusError } from '../http/client.js';

/** What `fromCallback` hands a link actor. */
export type LinkArgs = Parameters<LinkCallback>[0];

/**
 * Runs the socket once the upgrade's `Authorization` value is known (the auth may be
 * refreshing a token first); a close asked for meanwhile ends the link without a socket.
 */
export function withAuthorization(
  args: LinkArgs,
  options: { auth?: LinkAuth | undefined },
  run: (args: LinkArgs, authorization: string | undefined) => () => void,
): () => void {
  const auth = options.auth;
  if (auth === undefined) return run(args, undefined);
  let dispose: (() => void) | undefined;
  let stopped = false;
  let closing = false;
  const listeners: ((event: LinkCloseEvent) => void)[] = [];
  args.receive((event) => {
    if (dispose === undefined) closing = true;
    for (const listener of listeners) listener(event);
  });
  auth.authorization().then(
    (authorization) => {
      if (stopped) return;
      if (closing) {
        args.sendBack({ type: 'link.closed' });
        return;
      }
      dispose = run({ ...args, receive: (listener) => listeners.push(listener) }, authorization);
    },
    (error: unknown) => {
      if (!stopped)
        args.sendBack({ type: 'link.down', error: authOutcome(new AuthFailure(error, 401)).down });
    },
  );
  return () => {
    stopped = true;
    dispose?.();
  };
}

/**
 * A 401/403 upgrade, decided by the auth: renewed credentials make the next socket a retry at
 * once (the refused upgrade never opened a session); a refusal is the link's end.
 */
export async function upgradeRefused(
  auth: LinkAuth,
  answer: { statusCode: number; headers: IncomingHttpHeaders; body: Readable },
  sent: string | undefined,
  where: string,
  secrets: readonly string[],
): Promise<LinkError> {
  try {
    const { retry, text } = await askAuth(auth, answer, sent, 'upgrade');
    if (retry) {
      return new LinkError(
        ErrorCode.Network,
        `The WebSocket upgrade at ${where} was refused; retrying with renewed credentials`,
        {
          retryable: true,
          undelivered: true,
          retryAfterMs: 0,
        },
      );
    }
    return statusError(answer, `WebSocket upgrade at ${where}`, secrets, text ?? '');
  } catch (error) {
    return authOutcome(new AuthFailure(error instanceof AuthFailure ? error.error : error, 401))
      .down as LinkError;
  }
}
