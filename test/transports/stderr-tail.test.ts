// The tail of a server's stderr that the error of its exit quotes (issue 14, point 7): bounded,
// noise left out, configured secrets replaced before a line is kept.

import { describe, expect, it } from 'vitest';
import { createStderrTail } from '../../src/transports/stdio/stderr-tail.js';

describe('createStderrTail', () => {
  it('is empty until the server writes something', () => {
    expect(createStderrTail([]).suffix()).toBe('');
  });

  it('keeps the last lines, each cut short, without stack frames or the Node.js trailer', () => {
    const tail = createStderrTail([], 2, 30);
    for (const line of [
      'starting',
      'Error: boom: missing API_KEY',
      '    at main (/srv/server.js:3:9)',
      '',
      'Node.js v20.20.2',
      'x'.repeat(40),
    ])
      tail.push(line);
    expect(tail.suffix()).toBe(` (stderr: Error: boom: missing API_KEY | ${'x'.repeat(30)}…)`);
  });

  it('replaces configured secrets before keeping a line', () => {
    const tail = createStderrTail(['sk-live-123456']);
    tail.push('token sk-live-123456 refused');
    expect(tail.suffix()).toBe(' (stderr: token [redacted] refused)');
  });
});
