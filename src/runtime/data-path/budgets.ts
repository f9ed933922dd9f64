/**
 * How often a request its link could not answer goes out again, and under which id: the
 * budgets the outbound side spends (outbound.ts). Small on purpose: a request that keeps
 * failing must end failed-to-its-caller, never loop.
 */

import type { JsonRpcRequest } from '../../codec/jsonrpc.js';
import { ErrorCode, type LinkError } from '../../errors.js';
import type { RequestEntry } from './requests.js';

/** How often a request is sent again after its delivery was refused (an expired session). */
export const MAX_RESENDS = 1;

/**
 * How often a request is re-issued under a new id after its response stream broke. It is failed
 * only when its re-issue was lost after the server had responded to it: a re-issue that got no
 * response at all (its POST reset or closed before the status line, or its link dead first) went
 * to a server that was dying or gone, so it goes out again, unspent, on the next link. What
 * bounds that is the backoff between links: such a loss takes the link down.
 */
export const MAX_REISSUES = 1;

/**
 * How often a re-issue that got no response goes out again, unspent: enough to outlast a server
 * that is dying and a pool of its dead sockets, few enough that a request that kills the server
 * before it can respond (a poison pill) fails instead of restarting it forever.
 */
const MAX_UNANSWERED_REISSUES = 3;

/** Whether a request whose re-issue got no response may go out again, unspent. */
export function mayGoAgain(entry: RequestEntry, responded: boolean): boolean {
  return !responded && entry.unanswered < MAX_UNANSWERED_REISSUES;
}

/**
 * What becomes of a request its link will not answer: the re-issue to write now; `'next-link'`,
 * it waits in the queue for the next link (the live one, which answers nothing, must go down);
 * or undefined, nothing more to do here (answered with an error, or decided by the link's end).
 */
export type UnansweredFate = JsonRpcRequest | 'next-link' | undefined;

/**
 * Whether the server responded to the attempt that failed: the HTTP link reports a POST that
 * got no response at all as a network error, one whose response broke as a lost stream.
 */
export function hadResponse(cause: LinkError): boolean {
  return cause.code !== ErrorCode.Network;
}
