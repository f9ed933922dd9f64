/**
 * Helpers for driving a transport without the SDK: raw JSON-RPC requests matched by id, the
 * lifecycle statuses it reports, and a logger that records every call.
 */

import type { JsonRpcMessage, JsonRpcResponse, RequestId } from '../../src/codec/jsonrpc.js';
import type { LifecycleStatus, LifelineTransport } from '../../src/index.js';

/** Raw JSON-RPC over a transport: requests by id, everything else recorded. */
export class Raw {
  readonly responses: JsonRpcResponse[] = [];
  readonly others: JsonRpcMessage[] = [];
  readonly #pending = new Map<RequestId, (response: JsonRpcResponse) => void>();
  #nextId = 1;

  constructor(readonly transport: LifelineTransport) {
    transport.onmessage = (incoming) => {
      // Everything the runtime delivers is a valid message (the inbound type is wider).
      const message = incoming as JsonRpcMessage;
      if ('method' in message) {
        this.others.push(message);
        return;
      }
      this.responses.push(message);
      const resolve = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      resolve?.(message);
    };
  }

  /** Sends a request; resolves with its response. Rejects when send() rejects. */
  async request(method: string, params?: Record<string, unknown>): Promise<JsonRpcResponse> {
    const id = this.#nextId++;
    const answered = new Promise<JsonRpcResponse>((resolve) => this.#pending.set(id, resolve));
    try {
      await this.transport.send(
        params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params },
      );
    } catch (error) {
      this.#pending.delete(id);
      throw error;
    }
    return answered;
  }

  echo(message: string): Promise<JsonRpcResponse> {
    return this.request('tools/call', { name: 'echo', arguments: { message } });
  }
}

/** The error object of a response, or a failure when it succeeded. */
export function errorOf(response: JsonRpcResponse): { code: number; message: string; data?: unknown } {
  if (!('error' in response)) throw new Error(`expected an error response, got ${JSON.stringify(response)}`);
  return response.error;
}

/** The text of a tool result's first content block. */
export function textOf(response: JsonRpcResponse): string {
  if (!('result' in response)) throw new Error(`expected a result, got ${JSON.stringify(response)}`);
  const result = response.result as { content: { text: string }[] };
  return result.content[0]?.text ?? '';
}

/** Records every status a transport reports. */
export function record(transport: LifelineTransport): LifecycleStatus[] {
  const statuses: LifecycleStatus[] = [];
  transport.subscribe((status) => statuses.push(status));
  return statuses;
}

export interface LogCall {
  level: 'debug' | 'info' | 'warn' | 'error';
  args: unknown[];
}

/** A logger that records every call (the runtime logs pino-style: fields, then the message). */
export function recordingLogger() {
  const calls: LogCall[] = [];
  const at =
    (level: LogCall['level']) =>
    (...args: unknown[]): void => {
      calls.push({ level, args });
    };
  const messages = (level: LogCall['level']): string[] =>
    calls.filter((call) => call.level === level).map((call) => String(call.args[1]));
  return {
    logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
    calls,
    messages,
  };
}
