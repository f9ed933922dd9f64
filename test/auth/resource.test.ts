import { describe, expect, it } from 'vitest';
import { resourceAllowed, selectResource } from '../../src/auth/resource.js';
import { AuthorizationError } from '../../src/errors.js';

const server = new URL('https://h.example/mcp#frag');

describe('resourceAllowed (the MCP prefix rule)', () => {
  it.each([
    ['https://h.example/mcp', true],
    ['https://h.example', true],
    ['https://h.example/', true],
    ['https://h.example/mc', false],
    ['https://h.example/mcp/deeper', false],
    ['https://other.example/mcp', false],
    ['http://h.example/mcp', false],
    ['https://evil.example.com/mcp', false],
    ['not a url', false],
  ])('%s for https://h.example/mcp: %s', (configured, allowed) => {
    expect(resourceAllowed(new URL('https://h.example/mcp'), configured)).toBe(allowed);
  });
});

describe('selectResource (RFC 8707, 2025-11-25 §Resource Parameter Implementation)', () => {
  it('sends the metadata resource verbatim, without adding a slash', async () => {
    const prm = { resource: 'https://h.example' };
    await expect(selectResource({ serverUrl: server, prm })).resolves.toBe('https://h.example');
  });

  it('sends none without metadata (2025-03-26) or when configured to omit it', async () => {
    await expect(selectResource({ serverUrl: server, prm: undefined })).resolves.toBeUndefined();
    await expect(
      selectResource({ serverUrl: server, prm: { resource: 'https://h.example/mcp' }, omit: true }),
    ).resolves.toBeUndefined();
  });

  it('refuses metadata naming another resource', async () => {
    const error = await selectResource({
      serverUrl: server,
      prm: { resource: 'https://evil.example.com/mcp' },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthorizationError);
    expect((error as AuthorizationError).kind).toBe('resource_mismatch');
  });

  it("lets the provider's validateResourceURL decide", async () => {
    const calls: unknown[] = [];
    const provider = {
      validateResourceURL: async (url: string | URL, resource?: string) => {
        calls.push([String(url), resource]);
        return new URL('https://custom.example/r');
      },
    };
    const prm = { resource: 'https://evil.example.com/mcp' };
    await expect(selectResource({ serverUrl: server, prm, provider })).resolves.toBe(
      'https://custom.example/r',
    );
    expect(calls).toEqual([['https://h.example/mcp', 'https://evil.example.com/mcp']]);
  });
});
