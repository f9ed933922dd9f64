/**
 * The message relay of `lifeline bridge`: every message from the desktop host goes to the target
 * through one supervised transport, every message from the target goes back to the host, both
 * directions (server-to-client requests and their answers included).
 *
 * The transport reconnects and replays the handshake by itself while its policy allows. Once it
 * gives up (`failed`), a request from the host is answered with a JSON-RPC error at once and the
 * transport starts afresh; when the new link is up, the host's handshake is replayed on it, so
 * the host never has to restart the bridge.
 */

import {
  errorResponse,
  type JsonRpcMessage,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResponse,
  RpcErrorCode,
} from '../codec/jsonrpc.js';
import { encodeMessage, type NdjsonProblem } from '../codec/ndjson.js';
import { CONNECTION_LOST_RPC_CODE, ErrorCode, type LifelineError } from '../errors.js';
import type { RuntimeLogger } from '../runtime/logger.js';
import type { LifelineTransport } from '../runtime/transport.js';
import { message as messageOf } from './sdk.js';

/** Ids of the bridge's own requests (not `lifeline:`: those are the runtime's). */
const BRIDGE_ID_PREFIX = 'lifeline-bridge:';

/** What the relay needs. */
export interface RelayOptions {
  transport: LifelineTransport;
  /** Secrets redacted; writes to stderr. */
  log: RuntimeLogger;
  /** Writes one line to the host (stdout). */
  write(line: string): void;
  /** The target's name, for messages. */
  name: string;
}

function isRequest(message: JsonRpcMessage): message is JsonRpcRequest {
  return 'method' in message && 'id' in message;
}

export class Relay {
  readonly #transport: LifelineTransport;
  readonly #log: RuntimeLogger;
  readonly #write: (line: string) => void;
  readonly #name: string;
  /** The host's handshake, replayed when the transport starts afresh after giving up. */
  #initialize: JsonRpcRequest | undefined;
  #initialized: JsonRpcNotification | undefined;
  /** While the handshake is replayed on a fresh start, the host's messages wait for it, in order. */
  #gate: Promise<void> | undefined;
  readonly #internal = new Map<string, (response: JsonRpcResponse) => void>();
  #replays = 0;

  constructor(options: RelayOptions) {
    this.#transport = options.transport;
    this.#log = options.log;
    this.#write = options.write;
    this.#name = options.name;
    this.#transport.onmessage = (message) => this.#toHost(message as JsonRpcMessage);
    this.#transport.onerror = (error) => this.#log.debug(error.message);
  }

  /** A message from the host. */
  fromHost(message: JsonRpcMessage): void {
    if (isRequest(message) && message.method === 'initialize') {
      this.#initialize = message;
      this.#initialized = undefined;
    } else if ('method' in message && message.method === 'notifications/initialized' && !('id' in message)) {
      this.#initialized = message;
    }
    if (this.#transport.state === 'failed') {
      // A sign-in that failed or was refused: this message waits for a new one, as the first did.
      if (awaitsSignIn(this.#transport)) this.#restartThenForward(message);
      else this.#refuseAndRestart(message);
    } else if (this.#gate !== undefined) void this.#gate.then(() => this.#forward(message));
    else this.#forward(message);
  }

  /** A line from the host that is not a message: logged, and answered when JSON-RPC says so. */
  problem(problem: NdjsonProblem): void {
    this.#log.warn(`ignored a line from the host: ${problem.error.message}`, { bytes: problem.bytes });
    const answer = answerFor(problem);
    if (answer !== undefined) this.#write(`${JSON.stringify(answer)}\n`);
  }

  #toHost(message: JsonRpcMessage): void {
    if (!('method' in message)) {
      const internal = typeof message.id === 'string' ? this.#internal.get(message.id) : undefined;
      if (internal !== undefined) {
        this.#internal.delete(String(message.id));
        internal(message);
        return;
      }
      // The SDK Client tells its transport the negotiated version; here the host's answer does.
      if (message.id === this.#initialize?.id && 'result' in message) {
        const version = (message.result as { protocolVersion?: unknown } | null)?.protocolVersion;
        if (typeof version === 'string') this.#transport.setProtocolVersion(version);
      }
    }
    this.#write(encodeMessage(message));
  }

  #forward(message: JsonRpcMessage): void {
    this.#transport.send(message).catch((error: unknown) => {
      // Gave up while the message waited for a replay: refused, and the next message restarts.
      if (this.#transport.state === 'failed') this.#answerUnreachable(message);
      else this.#refuse(message, error as LifelineError);
    });
  }

  /** Answers a request the transport refused; anything else is only logged. */
  #refuse(message: JsonRpcMessage, error: LifelineError): void {
    if (!isRequest(message)) {
      this.#log.debug(`dropped a message from the host: ${messageOf(error)}`);
      return;
    }
    // A request the transport refuses as invalid (a reused id) is the host's mistake, not the link's.
    const code =
      error.code === ErrorCode.InvalidMessage ? RpcErrorCode.InvalidRequest : CONNECTION_LOST_RPC_CODE;
    this.#answer(message.id, code, `${this.#name}: ${messageOf(error)}`, error.code);
  }

  #answerUnreachable(message: JsonRpcMessage): void {
    if (!isRequest(message)) return;
    const cause = this.#transport.status.error;
    const why = cause === undefined ? 'the connection failed' : cause.message;
    const text = `${this.#name} is unreachable (${why}); lifeline bridge is connecting again, retry shortly`;
    this.#answer(message.id, CONNECTION_LOST_RPC_CODE, text, cause?.code);
  }

  #answer(id: JsonRpcRequest['id'], code: number, text: string, cause: string | undefined): void {
    this.#write(encodeMessage(errorResponse(id, code, text, { code: cause ?? null })));
  }

  #refuseAndRestart(message: JsonRpcMessage): void {
    this.#answerUnreachable(message);
    this.#startGate();
  }

  /** Starts afresh (the host's handshake replayed first, when it had one) and sends `message` after. */
  #restartThenForward(message: JsonRpcMessage): void {
    const gate = this.#startGate();
    void gate.then(() => this.#forward(message));
  }

  #startGate(): Promise<void> {
    if (this.#gate !== undefined) return this.#gate;
    const gate = this.#restart().catch((error: unknown) =>
      this.#log.warn(`could not restore the host's session: ${messageOf(error)}`),
    );
    this.#gate = gate;
    void gate.finally(() => {
      if (this.#gate === gate) this.#gate = undefined;
    });
    return gate;
  }

  /** Starts the transport afresh and, once the host had completed its handshake, replays it. */
  async #restart(): Promise<void> {
    this.#log.info(`connecting to ${this.#name} again: the host sent a message`);
    this.#transport.start().catch(() => {});
    const initialize = this.#initialize;
    const initialized = this.#initialized;
    if (initialize === undefined || initialized === undefined) return;
    this.#replays += 1;
    const id = `${BRIDGE_ID_PREFIX}initialize:${this.#replays}`;
    const answered = new Promise<JsonRpcResponse>((resolve) => this.#internal.set(id, resolve));
    try {
      await this.#transport.send({ ...initialize, id });
    } catch (error) {
      this.#internal.delete(id);
      throw error;
    }
    const answer = await answered;
    if ('error' in answer)
      throw new Error(`the server refused the replayed initialize: ${answer.error.message}`);
    await this.#transport.send(initialized);
    this.#log.info("the host's session is re-established on the new connection");
  }
}

/** Whether the transport gave up for want of a sign-in (not signed in, or the sign-in failed or timed out). */
function awaitsSignIn(transport: LifelineTransport): boolean {
  const { authorization, error } = transport.status;
  return authorization === 'required' || error?.code === ErrorCode.Authorization;
}

/** The id of a request too large or malformed to parse, read from the start of its line. */
function idFromHead(head: string): JsonRpcRequest['id'] | null {
  const match = /"id"\s*:\s*(-?\d+(?=\s*[,}])|"(?:[^"\\]|\\.)*")/.exec(head);
  if (match?.[1] === undefined || !/"method"\s*:/.test(head)) return null;
  try {
    return JSON.parse(match[1]) as JsonRpcRequest['id'];
  } catch {
    return null;
  }
}

/**
 * What JSON-RPC answers to a bad line: a parse error (id null) for broken JSON, an invalid
 * request for any other value that is not a message (with its id when it can be read, else
 * null); nothing for a broken response (it has `result` or `error`), which has nobody waiting
 * for an answer.
 *
 * @see https://www.jsonrpc.org/specification#error_object
 */
export function answerFor(problem: NdjsonProblem): object | undefined {
  const error = (code: number, text: string, id: JsonRpcRequest['id'] | null) => ({
    jsonrpc: '2.0',
    id,
    error: { code, message: text },
  });
  const reason = problem.error.message.replace(/^Inbound line/, 'Line');
  if (problem.type === 'invalid-json') return error(RpcErrorCode.ParseError, `Parse error: ${reason}`, null);
  const id = idFromHead(problem.head);
  if (problem.type === 'oversize') return error(RpcErrorCode.InvalidRequest, reason, id);
  let value: unknown;
  try {
    value = JSON.parse(problem.head);
  } catch {
    value = undefined;
  }
  const looksLikeResponse =
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !('method' in value) &&
    ('result' in value || 'error' in value);
  if (looksLikeResponse) return undefined;
  return error(RpcErrorCode.InvalidRequest, `Invalid Request: ${reason}`, id);
}
