/**
 * The HTTP family's link: Streamable HTTP, legacy HTTP+SSE, or the automatic choice between
 * them for a bare `url` (Streamable HTTP first; HTTP+SSE once the endpoint is known to speak
 * only that, a verdict cached per endpoint).
 *
 * The fallback happens inside one link: when the initialize POST is refused, the link opens
 * the HTTP+SSE stream in place and sends `initialize` there. The switch is not a failure: the
 * connection stays `open`, no retry is counted (a `reconnect.maxAttempts` of 0 still reaches
 * an SSE-only server), and nothing is reported as an error.
 */

import { type AnyEventObject, fromCallback } from 'xstate';
import { ErrorCode, LinkError } from '../../errors.js';
import type {
  LinkCallback,
  LinkCloseEvent,
  LinkHandle,
  LinkInput,
  LinkLogic,
  LinkSink,
} from '../../link/contract.js';
import { describeUrl } from './client.js';
import { CookieJar } from './cookies.js';
import { proxySettings } from './dispatcher.js';
import { runSseLink } from './legacy-sse.js';
import { runStreamableLink, type StreamableLinkOptions } from './streamable.js';
import { verdictFor } from './verdicts.js';

/** Which HTTP transport to use: `auto` (a bare `url`), or one forced by `type`. */
export type HttpMode = 'auto' | 'http' | 'sse';

/** Options of the HTTP family's link. */
export interface HttpFamilyLinkOptions extends Omit<StreamableLinkOptions, 'fallback'> {
  /** How long the HTTP+SSE stream may take to name its endpoint after a fallback, in ms. */
  connectMs: number;
}

/** The link actor logic for an HTTP-family server. */
export function createHttpFamilyLink(
  options: HttpFamilyLinkOptions,
  sink: LinkSink,
  mode: HttpMode,
): LinkLogic {
  // One cookie jar and one reading of the proxy variables per transport: cookies survive
  // reconnects and the switch to HTTP+SSE, and a bad proxy variable fails createTransport.
  const shared = {
    ...options,
    cookies: options.cookies ?? new CookieJar(),
    proxy: options.proxy ?? proxySettings(),
  };
  const streamable = runStreamableLink({ ...shared, fallback: mode === 'auto' }, sink);
  const sse = runSseLink(shared, sink);
  return fromCallback<LinkCloseEvent, LinkInput>((args) => {
    if (mode === 'sse' || (mode === 'auto' && verdictFor(options.url) === 'sse')) return sse(args);
    if (mode === 'http') return streamable(args);
    return runSwitchingLink(streamable, sse, options, sink)(args);
  });
}

type LinkArgs = Parameters<LinkCallback>[0];

/** A link run inside the switching link: its events come back through `onEvent`. */
interface Inner {
  close(event: LinkCloseEvent): void;
  dispose(): void;
}

function startInner(run: LinkCallback, args: LinkArgs, onEvent: (event: AnyEventObject) => void): Inner {
  const listeners: ((event: LinkCloseEvent) => void)[] = [];
  const dispose = run({ ...args, sendBack: onEvent, receive: (listener) => listeners.push(listener) });
  return {
    close: (event) => {
      for (const listener of listeners) listener(event);
    },
    dispose: () => {
      if (typeof dispose === 'function') dispose();
    },
  };
}

/** A refusal that certainly never reached the server: the runtime keeps the message for the next link. */
function linkDown(why: string): LinkError {
  return new LinkError(ErrorCode.Network, why, { retryable: true, undelivered: true });
}

function isFallback(error: unknown): boolean {
  return error instanceof LinkError && error.code === ErrorCode.Fallback;
}

/**
 * Streamable HTTP that switches to HTTP+SSE in place. The runtime holds one handle for the
 * whole link; after the switch its sends wait for the SSE endpoint, then go there.
 */
function runSwitchingLink(
  streamable: LinkCallback,
  sse: LinkCallback,
  options: HttpFamilyLinkOptions,
  sink: LinkSink,
): LinkCallback {
  return (args) => {
    const { sendBack, receive } = args;
    let http: LinkHandle | undefined;
    /** Set once the server refused Streamable HTTP: resolves to the SSE link's handle. */
    let switched: Promise<LinkHandle> | undefined;
    let settleSwitch: { resolve(handle: LinkHandle): void; reject(error: LinkError): void } | undefined;
    let modern: Inner | undefined;
    let legacy: Inner | undefined;
    let deadline: NodeJS.Timeout | undefined;
    let finished = false;

    /** Sends still waiting for the SSE endpoint are refused undelivered: they wait for the next link. */
    const abandonSwitch = (why: string): void => {
      clearTimeout(deadline);
      settleSwitch?.reject(linkDown(why));
      settleSwitch = undefined;
    };

    /** Reports `link.down` after the refusals above have reached the runtime (see LinkLife). */
    const down = (error: LinkError): void => {
      if (finished) return;
      finished = true;
      setImmediate(() => sendBack({ type: 'link.down', error }));
    };

    const onLegacyEvent = (event: AnyEventObject): void => {
      if (event.type === 'link.up') {
        clearTimeout(deadline);
        settleSwitch?.resolve(event.link as LinkHandle);
        settleSwitch = undefined;
      } else if (event.type === 'link.down') {
        abandonSwitch('The HTTP+SSE stream went down');
        down(event.error as LinkError);
      } else if (event.type === 'link.closed') {
        abandonSwitch('The link was closed');
        finished = true;
        sendBack(event);
      }
    };

    const switchToSse = (cause: LinkError): Promise<LinkHandle> => {
      if (switched !== undefined) return switched;
      switched = new Promise<LinkHandle>((resolve, reject) => {
        settleSwitch = { resolve, reject };
      });
      // Nobody may be waiting on it (the refusal came as a link event first).
      switched.catch(() => {});
      // The Streamable HTTP link has ended itself; what it still carries finishes before it is disposed.
      sink.diagnostic({ source: 'link', level: 'info', message: cause.message });
      deadline = setTimeout(() => {
        abandonSwitch('No HTTP+SSE endpoint in time');
        legacy?.dispose();
        down(
          new LinkError(
            ErrorCode.ConnectTimeout,
            `The HTTP+SSE stream of ${describeUrl(options.url)} named no endpoint within timeouts.connectMs (${options.connectMs} ms)`,
            { retryable: true },
          ),
        );
      }, options.connectMs);
      legacy = startInner(sse, args, onLegacyEvent);
      return switched;
    };

    const handle: LinkHandle = {
      send: async (message, sendOptions) => {
        if (switched === undefined && http !== undefined) {
          try {
            await http.send(message, sendOptions);
            return;
          } catch (error) {
            if (isFallback(error)) void switchToSse(error as LinkError);
            // Refused for the fallback, or by the Streamable HTTP link it ended: the SSE link takes it.
            else if (!hasSwitched() || !(error instanceof LinkError && error.undelivered)) throw error;
          }
        }
        const next = await (switched ?? Promise.reject(linkDown('The HTTP link is down')));
        await next.send(message, sendOptions);
      },
      get perRequestStreams() {
        return switched === undefined;
      },
      setProtocolVersion: (version) => http?.setProtocolVersion?.(version),
    };
    const hasSwitched = (): boolean => switched !== undefined;

    modern = startInner(streamable, args, (event) => {
      if (switched !== undefined) return;
      if (event.type === 'link.up') {
        http = event.link as LinkHandle;
        sendBack({ type: 'link.up', link: handle });
      } else if (event.type === 'link.down' && isFallback(event.error)) {
        void switchToSse(event.error as LinkError);
      } else {
        if (event.type === 'link.down' || event.type === 'link.closed') finished = true;
        sendBack(event);
      }
    });

    receive((event) => {
      if (event.type === 'link.close') (legacy ?? modern)?.close(event);
    });

    return () => {
      finished = true;
      abandonSwitch('The link was stopped');
      modern?.dispose();
      legacy?.dispose();
    };
  };
}
