/**
 * The one step HTTP-family links take when a request is refused with 401 or 403 and the link
 * was given a {@link LinkAuth}: read the refusal, ask the auth what to do, and carry its
 * answer out. The link itself knows no OAuth.
 */

import { AuthorizationError, ErrorCode, HttpError, LinkError, UnauthorizedError } from '../../errors.js';
import type { AuthChallenge, LinkAuth } from '../../link/contract.js';
import type { StatusResponse } from './client.js';
import { readErrorBody } from './error-body.js';

/** How much of a refusal's body the auth may read. */
const CHALLENGE_TEXT_BYTES = 4096;

/** The auth refused: `error` is what the request fails with. Not a network failure. */
export class AuthFailure extends Error {
  readonly error: unknown;
  readonly status: 401 | 403;

  constructor(error: unknown, status: 401 | 403) {
    super('authorization failed');
    this.error = error;
    this.status = status;
  }
}

/** Whether a response is one to ask the auth about. */
export function isChallenge(auth: LinkAuth | undefined, status: number): auth is LinkAuth {
  return auth !== undefined && (status === 401 || status === 403);
}

/** Every value of a response header, joined with `, ` (a server may send several challenges). */
export function headerList(response: Pick<StatusResponse, 'headers'>, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * Reads the refusal's body (drained, so the connection can be reused for the retry) and asks
 * the auth. Resolves whether to retry, and the body's text for a refusal the auth passes on.
 *
 * @throws {AuthFailure} when the auth rejects.
 */
export async function askAuth(
  auth: LinkAuth,
  response: StatusResponse,
  sent: string | undefined,
  what: AuthChallenge['what'],
): Promise<{ retry: boolean; text: string | undefined }> {
  // Bounded in time too: a refusal whose body never ends must not hold its request.
  const { text } = await readErrorBody(response.body, CHALLENGE_TEXT_BYTES);
  const status = response.statusCode as 401 | 403;
  const challenge: AuthChallenge = {
    status,
    wwwAuthenticate: headerList(response, 'www-authenticate'),
    sent,
    what,
    text,
  };
  try {
    const verdict = await auth.challenged(challenge);
    return { retry: verdict === 'retry', text };
  } catch (error) {
    throw new AuthFailure(error, status);
  }
}

/**
 * What a link does with an auth's refusal: the error the request is failed with, and the one
 * the link goes down with (a 401 takes the link down; a 403 fails only its request).
 *
 * A retryable failure (the authorization server could not be reached) is marked undelivered:
 * the refused request never ran, so the runtime keeps it for the next link. An error from an
 * app's own provider reaches the caller as it is; the link goes down with an
 * `UnauthorizedError` that carries it.
 */
export function authOutcome(failure: AuthFailure): { thrown: unknown; down: LinkError | undefined } {
  const error = failure.error;
  if (error instanceof LinkError && error.retryable) {
    const again = undeliveredCopy(error);
    return { thrown: again, down: again };
  }
  if (failure.status === 403) return { thrown: error, down: undefined };
  const down =
    error instanceof LinkError
      ? error
      : new UnauthorizedError(
          `The authorization provider failed: ${error instanceof Error ? error.message : String(error)}`,
          'sign-in-required',
          { cause: error },
        );
  return { thrown: error, down };
}

/**
 * A retryable failure of the auth, marked undelivered, of the same class: an unreachable
 * authorization server stays a `LIFELINE_ERR_NETWORK` `LinkError`, and a 5xx from it an
 * `AuthorizationError` with its `kind` (a bare `LinkError` carrying `LIFELINE_ERR_AUTHORIZATION`
 * would lose both the class and the kind).
 */
function undeliveredCopy(error: LinkError): LinkError {
  const options = {
    cause: error,
    retryable: true,
    undelivered: true,
    ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
  };
  if (error instanceof AuthorizationError) {
    return new AuthorizationError(error.kind, error.message, { ...options, oauthError: error.oauthError });
  }
  if (error instanceof HttpError) return new HttpError(error.message, error.data, options);
  const { code } = error;
  // Only their own classes carry these codes, and an UnauthorizedError is never retryable.
  if (code === ErrorCode.Http || code === ErrorCode.Authorization || code === ErrorCode.Unauthorized)
    return error;
  return new LinkError(code, error.message, options);
}

/** The link is down while the auth worked: the request waits for the next link. */
/**
 * Puts the auth's `Authorization` value on a request (or takes an old one off) and returns it,
 * for the challenge a refusal reports.
 *
 * @throws {LinkError} undelivered, when the link went down while the auth worked (a refresh).
 */
export async function authorizeRequest(
  auth: LinkAuth,
  headers: Record<string, string>,
  life: { readonly live: boolean },
): Promise<string | undefined> {
  const sent = await auth.authorization();
  if (sent === undefined) delete headers.authorization;
  else headers.authorization = sent;
  if (!life.live) throw downWhileAuthorizing();
  return sent;
}

export function downWhileAuthorizing(): LinkError {
  return new LinkError(ErrorCode.Network, 'The link went down while authorizing', {
    retryable: true,
    undelivered: true,
  });
}
