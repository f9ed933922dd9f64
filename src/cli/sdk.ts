/**
 * The MCP SDK as the CLI uses it: loaded on demand (it is not a dependency of mcp-lifeline),
 * plus small helpers around calls and lifecycle waits.
 */

import type { LifecycleStatus, LifelineTransport } from '../runtime/transport.js';

type ClientModule = typeof import('@modelcontextprotocol/sdk/client/index.js');
/** The SDK v1 `Client` class. */
export type ClientClass = ClientModule['Client'];
/** An SDK v1 `Client`. */
export type DemoClient = InstanceType<ClientClass>;

function isMissingSdk(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    String((error as Error).message).includes('@modelcontextprotocol/sdk')
  );
}

/** The SDK v1 Client class, or undefined when `@modelcontextprotocol/sdk` is not installed. */
export async function loadClient(): Promise<ClientClass | undefined> {
  try {
    return (await import('@modelcontextprotocol/sdk/client/index.js')).Client;
  } catch (error) {
    if (isMissingSdk(error)) return undefined;
    throw error;
  }
}

/** The text blocks of a tool result, joined. */
export function textOf(result: unknown): string {
  const content = (result as { content?: unknown } | null)?.content;
  if (!Array.isArray(content)) return JSON.stringify(result);
  return content
    .map((block: unknown) => {
      const item = block as { type?: unknown; text?: unknown };
      return item.type === 'text' && typeof item.text === 'string' ? item.text : JSON.stringify(block);
    })
    .join(' ');
}

/** Calls the example server's `echo` tool; resolves to its text, quoted. */
export async function callEcho(client: DemoClient, message: string, signal?: AbortSignal): Promise<string> {
  const result = await client.callTool(
    { name: 'echo', arguments: { message } },
    undefined,
    signal === undefined ? undefined : { signal },
  );
  return JSON.stringify(textOf(result));
}

/** Rejects with a clear error when `promise` takes longer than `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms ${what}`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/**
 * Resolves once the transport's status satisfies `predicate`; rejects when it fails (gives up)
 * or `ms` pass first.
 */
export function waitFor(
  transport: LifelineTransport,
  predicate: (status: LifecycleStatus) => boolean,
  ms: number,
  what: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (predicate(transport.status)) {
      resolve();
      return;
    }
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      unsubscribe();
      if (error === undefined) resolve();
      else reject(error);
    };
    const timer = setTimeout(
      () => finish(new Error(`timed out after ${ms} ms waiting for ${what} (state ${transport.state})`)),
      ms,
    );
    const unsubscribe = transport.subscribe((status) => {
      if (predicate(status)) finish();
      else if (status.state === 'failed')
        finish(new Error(`the connection gave up waiting for ${what}: ${status.error?.message}`));
    });
  });
}

/** An error's message. */
export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The server's pid; throws when there is no process. */
export function requirePid(transport: LifelineTransport): number {
  const pid = transport.pid;
  if (pid === undefined) throw new Error(`the server has no pid (state ${transport.state})`);
  return pid;
}
