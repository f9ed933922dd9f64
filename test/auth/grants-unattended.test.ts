// The grants without a browser redirect (src/auth/grants-unattended.ts), through a real transport and the
// CLI's provider, against oidc-provider (device flow and client credentials on) in front of an MCP server
// that checks its tokens. The user on the other device is the rig's stand-in.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CliAuthProvider, createCliAuthProvider } from '../../src/auth/cli-provider.js';
import { FileStore } from '../../src/auth/file-store.js';
import {
  CLIENT_CREDENTIALS_GRANT,
  DEVICE_CODE_GRANT,
  unattendedGrant,
} from '../../src/auth/grants-unattended.js';
import { AuthorizationError } from '../../src/errors.js';
import { createTransport, type LifelineTransport } from '../../src/runtime/transport.js';
import { createSupervisor } from '../../src/supervisor/index.js';
import { waitFor } from '../helpers/processes.js';
import { completeDeviceAuthorization, type OAuthRig, startOAuthRig } from '../peers/oauth/index.js';

const JOB = { client_id: 'nightly-job', client_secret: 'job-SECRET-6f1c2a9e' };

let rig: OAuthRig;
let dir: string;
const lines: string[] = [];
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  rig = await startOAuthRig({
    authServer: {
      clients: [
        {
          ...JOB,
          grant_types: ['client_credentials'],
          redirect_uris: [],
          response_types: [],
          token_endpoint_auth_method: 'client_secret_basic',
        },
      ],
    },
  });
  dir = mkdtempSync(join(tmpdir(), 'lifeline-unattended-'));
});
afterAll(async () => {
  await rig?.close();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await Promise.allSettled(closers.splice(0).map((close) => close()));
  expect(lines.join('\n')).not.toContain(JOB.client_secret);
  lines.length = 0;
});

function provider(options: Partial<Parameters<typeof createCliAuthProvider>[0]>): CliAuthProvider {
  const p = createCliAuthProvider({
    serverUrl: rig.mcpServer.url,
    store: new FileStore({ dir: mkdtempSync(join(dir, 'store-')) }),
    clientName: 'lifeline test',
    noBrowser: true,
    log: (line) => lines.push(line),
    ...options,
  });
  closers.push(() => p.close());
  return p;
}

function connect(authProvider: CliAuthProvider): { client: Client; transport: LifelineTransport } {
  const logger = Object.fromEntries(
    ['debug', 'info', 'warn', 'error'].map((level) => [
      level,
      (fields: unknown, message?: string) => lines.push(`${message ?? ''} ${JSON.stringify(fields)}`),
    ]),
  ) as never;
  const transport = createTransport({ url: rig.mcpServer.url, authProvider, logger });
  const client = new Client({ name: 'test', version: '1.0.0' });
  closers.push(() => client.close());
  return { client, transport };
}

describe('unattendedGrant', () => {
  it('reads the grant from the client metadata', () => {
    expect(unattendedGrant({ redirect_uris: [], grant_types: [DEVICE_CODE_GRANT, 'refresh_token'] })).toBe(
      'device_code',
    );
    expect(unattendedGrant({ redirect_uris: [], grant_types: [CLIENT_CREDENTIALS_GRANT] })).toBe(
      'client_credentials',
    );
    expect(unattendedGrant({ redirect_uris: [], grant_types: ['authorization_code'] })).toBeUndefined();
    expect(unattendedGrant({ redirect_uris: [] })).toBeUndefined();
  });
});

describe('client credentials (RFC 6749 §4.4)', () => {
  it('gets a token for the resource with the configured client: no user, no redirect, no registration', async () => {
    const before = rig.authServer.stats();
    const { client, transport } = connect(provider({ grant: 'client_credentials', staticClient: JOB }));
    await client.connect(transport);
    const result = await client.callTool({ name: 'whoami', arguments: {} });
    expect(JSON.stringify(result.content)).toContain(JOB.client_id);
    const after = rig.authServer.stats();
    expect(after.grants.client_credentials ?? 0).toBe((before.grants.client_credentials ?? 0) + 1);
    expect(after.authorizations).toBe(before.authorizations);
    expect(after.registrations).toBe(before.registrations);
    const grant = rig.authServer.events.filter((event) => event.grantType === 'client_credentials').at(-1);
    expect(grant?.resource).toBe(rig.mcpServer.resource);
  });

  it('fails with AuthorizationError invalid_client for a wrong secret, and names no secret', async () => {
    const { client, transport } = connect(
      provider({ grant: 'client_credentials', staticClient: { ...JOB, client_secret: 'wrong-SECRET-0000' } }),
    );
    const error = await client.connect(transport).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthorizationError);
    expect((error as AuthorizationError).oauthError).toBe('invalid_client');
    expect(String((error as Error).message)).not.toContain('wrong-SECRET');
  });
});

describe('device authorization (RFC 8628)', () => {
  it('shows the code, waits (status: waiting for sign-in) while the user approves elsewhere, then serves', async () => {
    const p = provider({ grant: 'device_code' });
    expect(p.redirectUrl).toBeUndefined();
    // Under a supervisor, as lifeline status and watch run servers: its status shows the wait too.
    const supervisor = createSupervisor({ servers: { rig: { url: rig.mcpServer.url, authProvider: p } } });
    closers.push(() => supervisor.close());
    const transport = supervisor.transport('rig');
    const client = new Client({ name: 'test', version: '1.0.0' });
    closers.push(() => client.close());
    const seen: (string | undefined)[] = [];
    transport.subscribe((status) => seen.push(status.authorization));
    const connecting = client.connect(transport);
    const complete = () => /^Or open: (\S+)$/m.exec(lines.join('\n'))?.[1];
    await waitFor(() => complete() !== undefined, { timeoutMs: 10_000 });
    expect(transport.status.authorization).toBe('waiting');
    expect(supervisor.status()[0]?.authorization).toBe('waiting');
    expect(lines.join('\n')).toMatch(/enter the code [A-Z]{4}-?[A-Z]{4} \(valid for 10 min\)/);
    await completeDeviceAuthorization(complete() as string, { login: 'alice' });
    await connecting;
    expect(transport.status.authorization).toBeUndefined();
    expect(supervisor.status()[0]?.authorization).toBeUndefined();
    expect(seen).toContain('waiting');
    const result = await client.callTool({ name: 'echo', arguments: { message: 'from a device' } });
    expect(JSON.stringify(result.content)).toContain('from a device');
    const tokens = await p.tokens();
    expect(tokens?.issuer).toBe(rig.authServer.issuer);
    const grants = rig.authServer.events.filter((event) => event.grantType === DEVICE_CODE_GRANT);
    expect(grants.at(-1)?.resource).toBe(rig.mcpServer.resource);
  }, 30_000);

  it('fails with access_denied when the user declines', async () => {
    const { client, transport } = connect(provider({ grant: 'device_code' }));
    const connecting = client.connect(transport).catch((e: unknown) => e);
    const complete = () => /^Or open: (\S+)$/m.exec(lines.join('\n'))?.[1];
    await waitFor(() => complete() !== undefined, { timeoutMs: 10_000 });
    await completeDeviceAuthorization(complete() as string, { consent: false });
    const error = await connecting;
    expect(error).toBeInstanceOf(AuthorizationError);
    expect((error as AuthorizationError).oauthError).toBe('access_denied');
    expect(transport.status.authorization).not.toBe('waiting');
  }, 30_000);
});
