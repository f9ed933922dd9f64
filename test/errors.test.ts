// The error family: Symbol.for brands (instanceof across two copies of the package and under a
// minifier's renaming), each class's own codes, and the SDK brands HttpError and
// UnauthorizedError carry.

import { SdkHttpError, UnauthorizedError as SdkUnauthorizedError } from '@modelcontextprotocol/client';
import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import { ConfigFileError } from '../src/config/error.js';
import * as errors from '../src/errors.js';
import {
  AuthorizationError,
  CodecError,
  type CodecErrorCode,
  ConfigError,
  ErrorCode,
  HttpError,
  InvalidMessageError,
  isUnauthorizedError,
  LifelineError,
  LinkError,
  type LinkErrorCode,
  QueueFullError,
  StateError,
  type StateErrorCode,
  UnauthorizedError,
} from '../src/errors.js';
import { AuthFailure, authOutcome } from '../src/transports/http/auth-step.js';

type Errors = typeof errors;

/**
 * A second, separate copy of the error family (src/errors.ts and the src/errors/ files it
 * re-exports): with the module registry reset, the import evaluates every file again, as a
 * second install of the package in node_modules would. (A query string on src/errors.ts would
 * copy only the barrel: the files it re-exports would be the same modules.)
 */
async function secondCopy(): Promise<Errors> {
  vi.resetModules();
  const copy = (await import('../src/errors.js')) as Errors;
  expect(copy.LinkError).not.toBe(LinkError);
  return copy;
}

/** One instance of each class, and the classes it must be an instance of. */
function family(from: Errors): Array<[string, Error, string[]]> {
  const http = new from.HttpError('POST /mcp answered HTTP 503', { status: 503, statusText: '', text: '' });
  return [
    ['ConfigError', new from.ConfigError(['a: expected a string']), ['LifelineError', 'ConfigError']],
    [
      'InvalidMessageError',
      new from.InvalidMessageError('no jsonrpc'),
      ['LifelineError', 'InvalidMessageError'],
    ],
    ['StateError', new from.StateError(from.ErrorCode.Closed, 'closed'), ['LifelineError', 'StateError']],
    ['QueueFullError', new from.QueueFullError('queue.maxMessages 1'), ['LifelineError', 'QueueFullError']],
    ['LinkError', new from.LinkError(from.ErrorCode.Spawn, 'ENOENT'), ['LifelineError', 'LinkError']],
    ['HttpError', http, ['LifelineError', 'LinkError', 'HttpError']],
    [
      'UnauthorizedError',
      new from.UnauthorizedError('sign in'),
      ['LifelineError', 'LinkError', 'UnauthorizedError'],
    ],
    [
      'AuthorizationError',
      new from.AuthorizationError('token', 'refused'),
      ['LifelineError', 'LinkError', 'AuthorizationError'],
    ],
    ['CodecError', new from.CodecError(from.ErrorCode.Parse, 'not JSON'), ['LifelineError', 'CodecError']],
    [
      'ResumptionUnsupportedError',
      new from.ResumptionUnsupportedError('the stdio transport has no resumable streams'),
      ['LifelineError', 'ResumptionUnsupportedError'],
    ],
    ['LifelineError', new from.LifelineError(from.ErrorCode.RetriesExhausted, 'gave up'), ['LifelineError']],
  ];
}

const CLASSES = [
  'LifelineError',
  'ConfigError',
  'InvalidMessageError',
  'StateError',
  'QueueFullError',
  'LinkError',
  'HttpError',
  'UnauthorizedError',
  'AuthorizationError',
  'CodecError',
  'ResumptionUnsupportedError',
] as const;

/** Whether `value instanceof` the class called `name` in `from`, as a table of names. */
function matches(from: Errors, value: unknown): string[] {
  return CLASSES.filter((name) => value instanceof from[name]);
}

describe('error brands', () => {
  it('makes each error an instance of its class and its ancestors, and of no other', () => {
    for (const [, error, expected] of family(errors)) {
      expect(matches(errors, error)).toEqual(expected);
      expect(error).toBeInstanceOf(Error);
    }
  });

  it('brands each class with Symbol.for("mcp-lifeline.error.<Name>")', () => {
    for (const [name, error] of family(errors)) {
      expect((error as unknown as Record<symbol, unknown>)[Symbol.for(`mcp-lifeline.error.${name}`)]).toBe(
        true,
      );
    }
  });

  it('matches errors made by another copy of the package, both ways', async () => {
    const copy = await secondCopy();
    for (const [name, error, expected] of family(copy)) {
      expect(matches(errors, error), `${name} from the copy`).toEqual(expected);
    }
    for (const [name, error, expected] of family(errors)) {
      expect(matches(copy, error), `${name} seen by the copy`).toEqual(expected);
    }
    expect(errors.hasErrorCode(new copy.LinkError(copy.ErrorCode.Write, 'x'), ErrorCode.Write)).toBe(true);
  });

  it('does not depend on class names, which a minifier renames', async () => {
    const copy = await secondCopy();
    // What a minifier leaves of the copy: every class called by a one-letter name.
    for (const [index, name] of CLASSES.entries()) {
      Object.defineProperty(copy[name], 'name', { value: String.fromCharCode(97 + index) });
    }
    expect(copy.LinkError.name).toBe('f');
    for (const [name, error, expected] of family(copy)) {
      expect(matches(errors, error), name).toEqual(expected);
    }
    for (const [name, error, expected] of family(errors)) {
      expect(matches(copy, error), name).toEqual(expected);
    }
  });

  it('tells a ConfigFileError from a ConfigError', () => {
    const file = new ConfigFileError(['server "a": command: expected a string'], '/tmp/mcp.json');
    expect(file).toBeInstanceOf(ConfigError);
    expect(file).toBeInstanceOf(LifelineError);
    expect(new ConfigError(['x'])).not.toBeInstanceOf(ConfigFileError);
  });

  it('refuses what is not branded, however it is named or shaped', () => {
    const lookalike = Object.assign(new Error('x'), { name: 'LinkError', code: ErrorCode.Spawn });
    for (const value of [lookalike, { name: 'HttpError' }, null, undefined, 'LinkError', 42]) {
      expect(matches(errors, value)).toEqual([]);
    }
    // A brand key set to something other than true is no brand.
    expect({ [Symbol.for('mcp-lifeline.error.LinkError')]: 'yes' }).not.toBeInstanceOf(LinkError);
    expect(errors.hasBrand({ [Symbol.for('mcp-lifeline.error.LinkError')]: true }, Symbol.for('x'))).toBe(
      false,
    );
  });

  it('keeps the SDK brands: HttpError is an SdkHttpError, UnauthorizedError the v2 UnauthorizedError', async () => {
    const copy = await secondCopy();
    const http = new copy.HttpError('HTTP 404', { status: 404, statusText: 'Not Found', text: '' });
    expect(http).toBeInstanceOf(SdkHttpError);
    const unauthorized = new copy.UnauthorizedError('sign in');
    expect(unauthorized).toBeInstanceOf(SdkUnauthorizedError);
    expect(unauthorized.name).toBe('UnauthorizedError');
    expect(isUnauthorizedError(unauthorized)).toBe(true);
    expect(isUnauthorizedError(new SdkUnauthorizedError('x'))).toBe(true);
    expect(isUnauthorizedError(new LinkError(ErrorCode.Network, 'x'))).toBe(false);
  });
});

describe('error codes per class', () => {
  it('lets each class take only its own codes (checked by tsc)', () => {
    // Never called: the lines exist for the type checker.
    const wrong = (): unknown[] => [
      // @ts-expect-error LIFELINE_ERR_INVALID_CONFIG is a ConfigError's.
      new LinkError(ErrorCode.InvalidConfig, 'x'),
      // @ts-expect-error an HTTP error is an HttpError, with its status.
      new LinkError(ErrorCode.Http, 'x'),
      // @ts-expect-error an authorization failure is an AuthorizationError, with its kind.
      new LinkError(ErrorCode.Authorization, 'x'),
      // @ts-expect-error a spawn failure is a LinkError's.
      new StateError(ErrorCode.Spawn, 'x'),
      // @ts-expect-error a network failure is a LinkError's.
      new CodecError(ErrorCode.Network, 'x'),
    ];
    expect(wrong).toBeTypeOf('function');

    expectTypeOf(new HttpError('x', { status: 500, statusText: '', text: '' }).code).toEqualTypeOf<
      typeof ErrorCode.Http
    >();
    expectTypeOf(new AuthorizationError('token', 'x').code).toEqualTypeOf<typeof ErrorCode.Authorization>();
    expectTypeOf(new UnauthorizedError('x').code).toEqualTypeOf<typeof ErrorCode.Unauthorized>();
    expectTypeOf(new ConfigError([]).code).toEqualTypeOf<typeof ErrorCode.InvalidConfig>();
    expectTypeOf(new QueueFullError('x').code).toEqualTypeOf<typeof ErrorCode.QueueFull>();
    expectTypeOf(new InvalidMessageError('x').code).toEqualTypeOf<typeof ErrorCode.InvalidMessage>();
    expectTypeOf(new StateError(ErrorCode.Closed, 'x').code).toEqualTypeOf<StateErrorCode>();
    expectTypeOf(new CodecError(ErrorCode.Parse, 'x').code).toEqualTypeOf<CodecErrorCode>();
    const unknown: unknown = new StateError(ErrorCode.NotStarted, 'x');
    if (unknown instanceof StateError) expectTypeOf(unknown.code).toEqualTypeOf<StateErrorCode>();
    // Every code has a class that raises it.
    expectTypeOf<
      | LinkErrorCode
      | StateErrorCode
      | CodecErrorCode
      | LinkError['code']
      | ConfigError['code']
      | QueueFullError['code']
      | InvalidMessageError['code']
      | errors.ResumptionUnsupportedError['code']
      | errors.ControlError['code']
      | typeof ErrorCode.RetriesExhausted
      | typeof ErrorCode.RequestExpired
    >().toEqualTypeOf<ErrorCode>();
  });

  it('keeps an AuthorizationError one when an auth failure is marked undelivered', () => {
    const refused = new AuthorizationError(
      'token',
      'The token refresh was refused: temporarily_unavailable',
      {
        oauthError: 'temporarily_unavailable',
        retryable: true,
      },
    );
    const { thrown, down } = authOutcome(new AuthFailure(refused, 401));
    expect(thrown).toBe(down);
    expect(thrown).toBeInstanceOf(AuthorizationError);
    expect(thrown).toMatchObject({
      code: ErrorCode.Authorization,
      kind: 'token',
      oauthError: 'temporarily_unavailable',
      retryable: true,
      undelivered: true,
      cause: refused,
    });

    const unreachable = new LinkError(ErrorCode.Network, 'Authorization request failed: ECONNREFUSED', {
      retryable: true,
    });
    const again = authOutcome(new AuthFailure(unreachable, 401)).thrown;
    expect(again).toBeInstanceOf(LinkError);
    expect(again).toMatchObject({ code: ErrorCode.Network, undelivered: true, cause: unreachable });
  });
});
