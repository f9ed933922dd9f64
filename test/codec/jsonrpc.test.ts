import { describe, expect, it } from 'vitest';
import {
  errorResponse,
  isErrorResponse,
  isJsonRpcMessage,
  isNotification,
  isRequest,
  isResponse,
  type JsonRpcMessage,
  RpcErrorCode,
  validateMessage,
} from '../../src/codec/jsonrpc.js';

describe('validateMessage', () => {
  describe('valid messages', () => {
    const valid: Array<[string, unknown]> = [
      ['a request with a string id', { jsonrpc: '2.0', id: 'abc', method: 'tools/list' }],
      ['a request with an empty-string id', { jsonrpc: '2.0', id: '', method: 'ping' }],
      ['a request with an integer id', { jsonrpc: '2.0', id: 1, method: 'ping' }],
      ['a request with id 0', { jsonrpc: '2.0', id: 0, method: 'ping' }],
      ['a request with a negative integer id', { jsonrpc: '2.0', id: -42, method: 'ping' }],
      [
        'a request with object params',
        { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'echo', arguments: { a: 1 } } },
      ],
      ['a request with array params', { jsonrpc: '2.0', id: 7, method: 'sum', params: [1, 2, 3] }],
      ['a request with empty object params', { jsonrpc: '2.0', id: 7, method: 'ping', params: {} }],
      ['a notification', { jsonrpc: '2.0', method: 'notifications/initialized' }],
      [
        'a notification with params',
        { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 't', progress: 1 } },
      ],
      ['a result response with a string id', { jsonrpc: '2.0', id: 'abc', result: { tools: [] } }],
      ['a result response with an integer id', { jsonrpc: '2.0', id: 3, result: {} }],
      ['a result response whose result is null', { jsonrpc: '2.0', id: 3, result: null }],
      ['a result response whose result is a primitive', { jsonrpc: '2.0', id: 3, result: 'ok' }],
      [
        'an error response',
        { jsonrpc: '2.0', id: 3, error: { code: RpcErrorCode.MethodNotFound, message: 'Method not found' } },
      ],
      [
        'an error response with data',
        { jsonrpc: '2.0', id: 'x', error: { code: -32000, message: 'boom', data: { detail: [1, 2] } } },
      ],
      ['an error response with an empty message', { jsonrpc: '2.0', id: 1, error: { code: 0, message: '' } }],
    ];

    it.each(valid)('accepts %s', (_name, value) => {
      expect(validateMessage(value)).toBeUndefined();
      expect(isJsonRpcMessage(value)).toBe(true);
    });
  });

  describe('invalid messages', () => {
    // [description, value, a fragment the reason must contain]
    const invalid: Array<[string, unknown, RegExp]> = [
      ['null', null, /not an object/],
      ['a string', 'hello', /not an object/],
      ['a number', 42, /not an object/],
      ['a boolean', true, /not an object/],
      ['undefined', undefined, /not an object/],
      ['an empty array', [], /batch/],
      ['a batch of requests', [{ jsonrpc: '2.0', id: 1, method: 'ping' }], /batch/],
      ['a message without jsonrpc', { id: 1, method: 'ping' }, /jsonrpc/],
      ['jsonrpc "1.0"', { jsonrpc: '1.0', id: 1, method: 'ping' }, /jsonrpc/],
      ['jsonrpc as the number 2', { jsonrpc: 2, id: 1, method: 'ping' }, /jsonrpc/],
      ['a null id on a request', { jsonrpc: '2.0', id: null, method: 'ping' }, /id/],
      ['a null id on a response', { jsonrpc: '2.0', id: null, result: {} }, /id/],
      ['a float id', { jsonrpc: '2.0', id: 1.5, method: 'ping' }, /id/],
      ['a boolean id', { jsonrpc: '2.0', id: true, method: 'ping' }, /id/],
      ['an object id', { jsonrpc: '2.0', id: { n: 1 }, result: {} }, /id/],
      ['an empty method', { jsonrpc: '2.0', id: 1, method: '' }, /method/],
      ['a numeric method', { jsonrpc: '2.0', id: 1, method: 5 }, /method/],
      ['a null method', { jsonrpc: '2.0', method: null }, /method/],
      ['a request that carries a result', { jsonrpc: '2.0', id: 1, method: 'ping', result: {} }, /result/],
      [
        'a request that carries an error',
        { jsonrpc: '2.0', id: 1, method: 'ping', error: { code: 1, message: 'x' } },
        /error/,
      ],
      ['params that are a string', { jsonrpc: '2.0', id: 1, method: 'ping', params: 'x' }, /params/],
      ['params that are a number', { jsonrpc: '2.0', method: 'note', params: 3 }, /params/],
      ['params that are null', { jsonrpc: '2.0', id: 1, method: 'ping', params: null }, /params/],
      [
        'a response with both result and error',
        { jsonrpc: '2.0', id: 1, result: {}, error: { code: 1, message: 'x' } },
        /exactly one of result and error/,
      ],
      [
        'a response with neither result nor error',
        { jsonrpc: '2.0', id: 1 },
        /exactly one of result and error/,
      ],
      ['a message with neither method nor id', { jsonrpc: '2.0', result: {} }, /neither/],
      ['a bare envelope', { jsonrpc: '2.0' }, /neither/],
      ['an error that is a string', { jsonrpc: '2.0', id: 1, error: 'boom' }, /error must be an object/],
      ['an error that is null', { jsonrpc: '2.0', id: 1, error: null }, /error must be an object/],
      ['an error that is an array', { jsonrpc: '2.0', id: 1, error: [1, 'x'] }, /error must be an object/],
      ['an error without a code', { jsonrpc: '2.0', id: 1, error: { message: 'x' } }, /error\.code/],
      [
        'an error with a string code',
        { jsonrpc: '2.0', id: 1, error: { code: '1', message: 'x' } },
        /error\.code/,
      ],
      [
        'an error with a float code',
        { jsonrpc: '2.0', id: 1, error: { code: 1.5, message: 'x' } },
        /error\.code/,
      ],
      ['an error without a message', { jsonrpc: '2.0', id: 1, error: { code: 1 } }, /error\.message/],
      [
        'an error with a numeric message',
        { jsonrpc: '2.0', id: 1, error: { code: 1, message: 42 } },
        /error\.message/,
      ],
    ];

    it.each(invalid)('rejects %s with a reason', (_name, value, reason) => {
      const result = validateMessage(value);
      expect(typeof result).toBe('string');
      expect(result).toMatch(reason);
      expect(isJsonRpcMessage(value)).toBe(false);
    });
  });
});

describe('message classification', () => {
  const request: JsonRpcMessage = { jsonrpc: '2.0', id: 1, method: 'ping' };
  const notification: JsonRpcMessage = { jsonrpc: '2.0', method: 'notifications/initialized' };
  const result: JsonRpcMessage = { jsonrpc: '2.0', id: 1, result: {} };
  const error: JsonRpcMessage = { jsonrpc: '2.0', id: 1, error: { code: -32601, message: 'nope' } };

  it('recognizes a request as a request only', () => {
    expect([
      isRequest(request),
      isNotification(request),
      isResponse(request),
      isErrorResponse(request),
    ]).toEqual([true, false, false, false]);
  });

  it('recognizes a notification as a notification only', () => {
    expect([
      isRequest(notification),
      isNotification(notification),
      isResponse(notification),
      isErrorResponse(notification),
    ]).toEqual([false, true, false, false]);
  });

  it('recognizes a result response as a response but not an error response', () => {
    expect([isRequest(result), isNotification(result), isResponse(result), isErrorResponse(result)]).toEqual([
      false,
      false,
      true,
      false,
    ]);
  });

  it('recognizes an error response as a response and an error response', () => {
    expect([isRequest(error), isNotification(error), isResponse(error), isErrorResponse(error)]).toEqual([
      false,
      false,
      true,
      true,
    ]);
  });
});

describe('errorResponse', () => {
  it('builds an error response without data when none is given', () => {
    const response = errorResponse(5, RpcErrorCode.InvalidParams, 'bad params');
    expect(response).toStrictEqual({ jsonrpc: '2.0', id: 5, error: { code: -32602, message: 'bad params' } });
    expect('data' in response.error).toBe(false);
  });

  it('includes data when it is given, even a falsy value', () => {
    expect(errorResponse('req-1', -32000, 'boom', { why: 'because' })).toStrictEqual({
      jsonrpc: '2.0',
      id: 'req-1',
      error: { code: -32000, message: 'boom', data: { why: 'because' } },
    });
    expect(errorResponse(1, -32000, 'boom', null).error).toStrictEqual({
      code: -32000,
      message: 'boom',
      data: null,
    });
    expect(errorResponse(1, -32000, 'boom', 0).error).toStrictEqual({
      code: -32000,
      message: 'boom',
      data: 0,
    });
  });

  it('produces a message that validates and classifies as an error response', () => {
    const response = errorResponse('abc', RpcErrorCode.InternalError, 'internal');
    expect(validateMessage(response)).toBeUndefined();
    expect(isResponse(response)).toBe(true);
    expect(isErrorResponse(response)).toBe(true);
  });

  it('exposes the standard JSON-RPC error codes', () => {
    expect(RpcErrorCode).toEqual({
      ParseError: -32700,
      InvalidRequest: -32600,
      MethodNotFound: -32601,
      InvalidParams: -32602,
      InternalError: -32603,
    });
  });
});
