import { describe, expect, it } from 'vitest';
import { LinkError } from '../../src/errors.js';
import { createRedactingLogger, type Logger, redact } from '../../src/runtime/logger.js';
import { secretValues } from '../../src/runtime/options/resolve.js';

function recorder(): { logger: Logger; calls: unknown[][] } {
  const calls: unknown[][] = [];
  const record = (...args: unknown[]) => calls.push(args);
  return { logger: { debug: record, info: record, warn: record, error: record }, calls };
}

describe('secretValues', () => {
  it('treats every value of 8 or more characters as a secret', () => {
    expect(secretValues({ DATABASE_URL: 'postgres://u:p@h/db', MODE: 'production' })).toEqual([
      'postgres://u:p@h/db',
      'production',
    ]);
  });

  it('treats short values as secrets only under credential-like names', () => {
    expect(secretValues({ API_KEY: 'abc', DB_PASSWORD: 'hunter', MODE: 'prod', DEBUG: 'true' })).toEqual([
      'hunter',
      'abc',
    ]);
  });

  it('orders secrets longest first, so one containing another is replaced whole', () => {
    expect(secretValues({ A_TOKEN: 'abcd', B_TOKEN: 'abcdefgh' })).toEqual(['abcdefgh', 'abcd']);
  });
});

describe('createRedactingLogger', () => {
  it('replaces secrets in messages, fields and nested errors, pino-style (fields, message)', () => {
    const { logger, calls } = recorder();
    const log = createRedactingLogger(logger, ['s3cr3t-value'], 'server');
    log.warn('token is s3cr3t-value', { header: 'Bearer s3cr3t-value', nested: { list: ['s3cr3t-value'] } });
    log.error('failed', { error: new LinkError('LIFELINE_ERR_SPAWN', 'bad s3cr3t-value') });
    expect(JSON.stringify(calls)).not.toContain('s3cr3t-value');
    expect(calls[0]).toEqual([
      { lifeline: 'server', header: 'Bearer [redacted]', nested: { list: ['[redacted]'] } },
      'token is [redacted]',
    ]);
    expect(calls[1]).toEqual([{ lifeline: 'server', error: 'bad [redacted]' }, 'failed']);
  });

  it('never lets a throwing logger reach the caller', () => {
    const throwing = () => {
      throw new Error('logger down');
    };
    const log = createRedactingLogger(
      { debug: throwing, info: throwing, warn: throwing, error: throwing },
      [],
      'x',
    );
    expect(() => log.info('hello')).not.toThrow();
  });

  it('logs nothing without a logger', () => {
    expect(() => createRedactingLogger(undefined, ['x'], 'x').error('nothing')).not.toThrow();
  });
});

describe('redact', () => {
  it('replaces every occurrence', () => {
    expect(redact('a KEY b KEY', ['KEY'])).toBe('a [redacted] b [redacted]');
  });
});
