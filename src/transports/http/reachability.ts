/**
 * Whether a Streamable HTTP server answers at all. Asked when a request met a cut (its
 * connection closed or reset before any response, or a response stream broke that way: the
 * server died, or a TCP relay in front of it lost its backend), and before a link comes up after
 * one that went down unreachable. One GET of the endpoint: any status line proves the server
 * there, except a gateway's or a rate limit's (429, 502, 503, 504); a cut, a refused connection
 * or silence within the bound says it is not, and the link goes down.
 *
 * Why: Streamable HTTP comes up without a handshake (the first POST is the probe), and a relay
 * that accepts connections and then closes them (Docker port publishing, a TCP load balancer, a
 * Kubernetes service) looks reachable at the TCP level. Without asking, every call made during a
 * restart behind one would meet the cut in turn and fail, with the link looking up. While a
 * question is out, sends wait; if the link goes down they are refused undelivered, so they wait
 * in the runtime's queue for the next link: only the calls in flight at the fault are lost.
 */

import { ErrorCode, LinkError } from '../../errors.js';
import { statusFault } from '../failures/table.js';
import { describeUrl, type HttpClient, isAbort, mediaType, networkError, statusError } from './client.js';

/** What the question needs. */
export interface ProbeTarget {
  client: HttpClient;
  url: URL;
  /** The configured headers (a gateway may require them); no session, no credentials of an auth. */
  headers: Readonly<Record<string, string>>;
  secrets: readonly string[];
  /** How long the server may take to answer, in ms. */
  timeoutMs: number;
}

/**
 * Asks the server whether it is there.
 *
 * @returns undefined when it answered; otherwise why it is taken as unreachable.
 */
export async function probeServer(target: ProbeTarget): Promise<LinkError | undefined> {
  const where = describeUrl(target.url);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), target.timeoutMs);
  try {
    const response = await target.client.request(
      {
        method: 'GET',
        url: target.url,
        headers: { ...target.headers, accept: 'text/event-stream' },
        signal: controller.signal,
      },
      `Asking ${where} whether it is there`,
    );
    const status = response.statusCode;
    const rule = status >= 400 ? statusFault(status) : undefined;
    if (rule !== undefined && (rule.action === 'reconnect' || rule.action === 'retry-after'))
      return await statusError(response, `Asking ${where} whether it is there`, target.secrets);
    // An answer is all it takes: a stream (a server that serves one without a session) is closed.
    if (status === 200 || mediaType(response) === 'text/event-stream') {
      response.body.on('error', () => {});
      response.body.destroy();
    } else {
      response.body.dump().catch(() => {});
    }
    return undefined;
  } catch (error) {
    if (controller.signal.aborted && isAbort(error))
      return new LinkError(ErrorCode.Network, `${where} did not answer within ${target.timeoutMs} ms`, {
        retryable: true,
        undelivered: true,
      });
    // A proxy that refuses us for good (407) is as permanent here as for a POST.
    return networkError(error, `Asking ${where} whether it is there`);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The question, once at a time, and the gate sends pass while it is out. `onDown` takes the
 * link down when the server is not there.
 */
export class Reachability {
  readonly #target: ProbeTarget;
  readonly #onDown: (error: LinkError) => void;
  #asking: Promise<LinkError | undefined> | undefined;

  constructor(target: ProbeTarget, onDown: (error: LinkError) => void) {
    this.#target = target;
    this.#onDown = onDown;
  }

  /** Whether a question is out. */
  get asking(): boolean {
    return this.#asking !== undefined;
  }

  /**
   * What a send waits for before it goes: nothing (undefined) unless a question is out; then a
   * promise that resolves once the server answered, or rejects with an undelivered error when
   * it did not (the message waits for the next link).
   */
  gate(): Promise<void> | undefined {
    const asking = this.#asking;
    if (asking === undefined) return undefined;
    return asking.then((error) => {
      if (error === undefined) return;
      throw new LinkError(ErrorCode.Network, `The HTTP link is down: ${error.message}`, {
        cause: error,
        retryable: true,
        undelivered: true,
      });
    });
  }

  /** Asks the server whether it is there, unless a question is already out. */
  suspect(): void {
    if (this.#asking !== undefined) return;
    const asking = probeServer(this.#target).then((error) => {
      this.#asking = undefined;
      if (error !== undefined) this.#onDown(error);
      return error;
    });
    this.#asking = asking;
  }
}
