// A desktop host's side of `lifeline bridge <url>`: the built CLI (dist/cli/main.js, see test/helpers/cli.ts
// buildCli) started as a child process by the SDK v1 Client over its StdioClientTransport, with the token
// store moved to a test folder (LIFELINE_AUTH_DIR). Its stderr (the bridge's log) is kept.

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { cli, cliEnv } from '../helpers/cli.js';

/** A running bridge and the host's Client connected through it. */
export interface BridgeHost {
  client: Client;
  /** What the bridge wrote on stderr so far. */
  stderr(): string;
  /** Closes the Client, which closes the bridge's stdin: it exits. */
  close(): Promise<void>;
}

/** Starts `lifeline bridge <url> ...flags` over the store in `authDir` and connects a Client to it. */
export async function startBridgeHost(
  url: string,
  flags: readonly string[],
  authDir: string,
): Promise<BridgeHost> {
  const env = Object.fromEntries(
    Object.entries(cliEnv({ LIFELINE_AUTH_DIR: authDir })).filter(
      (entry): entry is [string, string] => entry[1] !== undefined,
    ),
  );
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [cli, 'bridge', url, ...flags],
    env,
    stderr: 'pipe',
  });
  let log = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    log += chunk.toString('utf8');
  });
  const client = new Client({ name: 'desktop-host', version: '1.0.0' });
  try {
    await client.connect(transport);
  } catch (error) {
    await client.close().catch(() => undefined);
    throw new Error(`lifeline bridge did not start: ${String(error)}\n${log}`);
  }
  return { client, stderr: () => log, close: () => client.close() };
}
