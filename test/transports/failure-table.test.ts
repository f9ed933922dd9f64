// Issue 16: failure classification as one table in code and in docs/reliability.md. The doc's table
// is rendered from the code (UPDATE_DOCS=1 rewrites it); every undici error code and every status,
// close code and errno the issue names has its row; the links' errors follow the rows.

import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { errors as undiciErrors } from 'undici';
import { describe, expect, it } from 'vitest';
import { ErrorCode, HttpError } from '../../src/index.js';
import {
  closeFault,
  exitFault,
  FAILURE_TABLE,
  faultRule,
  networkFault,
  renderFailureTable,
  spawnFault,
  statusFault,
  takesLinkDown,
  waitsForNextLink,
} from '../../src/transports/failures/table.js';
import { networkError, statusError } from '../../src/transports/http/client.js';
import { closedError } from '../../src/transports/websocket/errors.js';
import { repoRoot } from '../helpers/cli.js';

const DOC = resolve(repoRoot, 'docs/reliability.md');
const START = '<!-- failure-table:start -->';
const END = '<!-- failure-table:end -->';

describe('the failure table in docs/reliability.md', () => {
  it('is the one the code renders', () => {
    const doc = readFileSync(DOC, 'utf8');
    const from = doc.indexOf(START);
    const to = doc.indexOf(END);
    expect(from, `docs/reliability.md has no ${START} marker`).toBeGreaterThan(0);
    expect(to).toBeGreaterThan(from);
    const rendered = `${START}\n\n${renderFailureTable()}\n\n${END}`;
    const current = doc.slice(from, to + END.length);
    if (current !== rendered && process.env.UPDATE_DOCS === '1') {
      writeFileSync(DOC, doc.replace(current, rendered));
      return;
    }
    expect(current, 'run UPDATE_DOCS=1 npx vitest run test/transports/failure-table.test.ts').toBe(rendered);
  });
});

describe('the failure table', () => {
  it('has one row per fault', () => {
    const keys = FAILURE_TABLE.map((rule) => `${rule.family} ${rule.fault}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const rule of FAILURE_TABLE) expect(rule.note.length).toBeGreaterThan(0);
  });

  it('has a row of its own for every error code undici raises', () => {
    const codes = new Set<string>();
    for (const ErrorClass of Object.values(undiciErrors) as (new (
      ...args: unknown[]
    ) => { code?: unknown })[]) {
      if (typeof ErrorClass !== 'function') continue;
      let code: unknown;
      try {
        code = new ErrorClass('probe').code;
      } catch {
        continue;
      }
      if (typeof code === 'string' && code !== 'UND_ERR') codes.add(code);
    }
    expect(codes.size).toBeGreaterThan(15);
    for (const code of codes) {
      const rule = networkFault({ code });
      expect(rule.fault === code || (code.startsWith('HPE_') && rule.fault === 'HPE_*'), code).toBe(true);
    }
  });

  it('names every fault the issue lists', () => {
    const network = [
      'UND_ERR_SOCKET',
      'UND_ERR_CONNECT_TIMEOUT',
      'UND_ERR_HEADERS_TIMEOUT',
      'UND_ERR_BODY_TIMEOUT',
      'UND_ERR_CLOSED',
      'UND_ERR_DESTROYED',
      'UND_ERR_ABORTED',
      'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
      'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
      'UND_ERR_INFO',
      'UND_ERR_RESPONSE_STATUS_CODE',
      'UND_ERR_PRX_TLS',
      'ECONNREFUSED',
      'ECONNRESET',
      'EPIPE',
      'ETIMEDOUT',
      'EHOSTUNREACH',
      'ENETUNREACH',
      'EAI_AGAIN',
      'ENOTFOUND',
      'ECONNABORTED',
    ];
    for (const code of network) expect(networkFault({ code }).fault, code).toBe(code);
    const statuses = [400, 401, 403, 404, 405, 406, 408, 409, 413, 415, 425, 429, 500, 502, 503, 504];
    for (const status of statuses) expect(statusFault(status).fault, String(status)).toBe(String(status));
    expect(statusFault(418).fault).toBe('4xx');
    expect(statusFault(507).fault).toBe('5xx');
    const closes = [1000, 1001, 1002, 1003, 1006, 1007, 1008, 1009, 1011, 1012, 1013];
    for (const code of closes) expect(closeFault(code).fault, String(code)).toBe(String(code));
    expect(closeFault(4001).fault).toBe('4000-4999');
    expect(closeFault(3003).fault).toBe('3000-3999');
    expect(spawnFault('ENOENT')).toMatchObject({ action: 'give-up', retryable: false });
    expect(spawnFault('EACCES')).toMatchObject({ action: 'give-up', retryable: false });
    expect(spawnFault('EMFILE')).toMatchObject({ action: 'reconnect', retryable: true });
    expect(exitFault(0, null).fault).toBe('exit 0');
    expect(exitFault(1, null).fault).toBe('exit 1-255');
    expect(exitFault(null, 'SIGKILL').fault).toBe('killed by a signal');
    expect(faultRule('docker', 'container exit').action).toBe('reconnect');
  });

  it('says what each kind of fault means for the link and for the message', () => {
    // A relay's "other side closed" is a link going down, like a refused connection; only the
    // refused one certainly never reached the server.
    expect(takesLinkDown(networkFault({ code: 'UND_ERR_SOCKET' }))).toBe(true);
    expect(waitsForNextLink(networkFault({ code: 'UND_ERR_SOCKET' }))).toBe(false);
    expect(waitsForNextLink(networkFault({ code: 'ECONNREFUSED' }))).toBe(true);
    expect(networkFault({ name: 'AbortError' }).meaning).toBe('ours');
    expect(networkFault({ code: 'SOMETHING_NEW' }).fault).toBe('other');
    expect(networkFault({ code: 'UND_ERR_RESPONSE', statusCode: 503 }).fault).toBe('503');
    expect(statusFault(503)).toMatchObject({ action: 'retry-after', reached: 'no' });
    expect(statusFault(429)).toMatchObject({ action: 'retry-after', reached: 'no' });
    expect(statusFault(500)).toMatchObject({ action: 'fail-request' });
    expect(statusFault(401)).toMatchObject({ action: 'give-up', retryable: false });
  });
});

describe("the links' errors follow the table", () => {
  it('network errors: undelivered and retryable as the rows say', () => {
    expect(networkError({ code: 'ECONNREFUSED' }, 'POST x')).toMatchObject({
      code: ErrorCode.Network,
      undelivered: true,
      retryable: true,
    });
    expect(networkError({ code: 'UND_ERR_SOCKET' }, 'POST x')).toMatchObject({
      undelivered: false,
      retryable: true,
    });
  });

  it('statuses: retryable, undelivered and Retry-After as the rows say', async () => {
    const response = (status: number, headers: Record<string, string> = {}) => ({
      statusCode: status,
      headers,
      body: new PassThrough(),
    });
    const busy = response(503, { 'retry-after': '2', 'content-type': 'text/plain' });
    busy.body.end('busy');
    const error = await statusError(busy, 'POST x', []);
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ status: 503, retryable: true, undelivered: true, retryAfterMs: 2000 });
    expect(error.message).toBe('POST x got HTTP 503 (text/plain): busy');
    const refused = response(404);
    refused.body.end();
    expect(await statusError(refused, 'POST x', [])).toMatchObject({ retryable: false, undelivered: false });
  });

  it('WebSocket closes: retryable as the rows say', () => {
    expect(closedError(1006, '', 'ws://x', []).retryable).toBe(closeFault(1006).retryable);
    expect(closedError(4001, 'app', 'ws://x', []).message).toContain('4001: app');
  });
});
