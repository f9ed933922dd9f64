import type { Transport as TransportV2 } from '@modelcontextprotocol/client';
import type { Transport as TransportV1 } from '@modelcontextprotocol/sdk/shared/transport.js';
import { describe, expect, it } from 'vitest';
import { createTransport } from '../../src/index.js';

describe('createTransport() and the SDK Transport types', () => {
  // The assignments are the test: `npm run lint` type-checks this file under the project's
  // strict settings (exactOptionalPropertyTypes included), as a user's strict project would.
  it('returns an object the v1 and v2 SDK Transport types accept', () => {
    const transport = createTransport({ command: process.execPath });
    const v1: TransportV1 = transport;
    const v2: TransportV2 = transport;
    expect(v1.sessionId).toBeUndefined();
    expect(typeof v2.start).toBe('function');
    expect('pid' in transport && 'stderr' in transport).toBe(true);
  });
});
