import { afterEach, describe, expect, it } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { createTransport, type LifelineTransport } from '../../src/index.js';
import { waitFor } from '../helpers/processes.js';

// A server that stays up until its stdin closes, and answers nothing.
const SILENT_SERVER = "process.stdin.resume(); process.stdin.on('end', () => process.exit(0));";

const transports: LifelineTransport[] = [];
afterEach(async () => {
  await Promise.all(transports.splice(0).map((transport) => transport.close()));
});

describe('the inspect option', () => {
  it('passes XState inspection events of the connection actor to the observer', async () => {
    const events: InspectionEvent[] = [];
    const transport = createTransport({
      command: process.execPath,
      args: ['-e', SILENT_SERVER],
      inspect: (event) => events.push(event),
    });
    transports.push(transport);
    await transport.start();
    await transport.close();

    const types = new Set(events.map((event) => event.type));
    expect(types).toContain('@xstate.actor');
    expect(types).toContain('@xstate.snapshot');
    const received = events
      .filter((event) => event.type === '@xstate.event')
      .map((event) => event.event.type);
    expect(received).toEqual(expect.arrayContaining(['connection.start', 'link.up', 'connection.close']));
  });

  it('never shows a configured secret in any snapshot or event', async () => {
    const secret = 'sk-live-0123456789abcdef';
    const seen: string[] = [];
    const transport = createTransport({
      command: process.execPath,
      args: ['-e', SILENT_SERVER],
      env: { API_KEY: secret },
      inspect: (event) => {
        if (event.type === '@xstate.snapshot') seen.push(JSON.stringify(event.snapshot));
        if (event.type === '@xstate.event') seen.push(JSON.stringify(event.event));
      },
    });
    transports.push(transport);
    await transport.start();
    await waitFor(() => transport.state === 'open');
    await transport.close();

    expect(seen.length).toBeGreaterThan(3);
    for (const text of seen) expect(text).not.toContain(secret);
  });
});
