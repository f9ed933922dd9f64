/**
 * The sign-in flags of `lifeline connect`, `bridge` and `auth login`: how the command signs in
 * to a server that answers 401 (MCP authorization), and their help lines.
 */

import type { CliGrant } from '../auth/cli-provider.js';
import { DEFAULT_SIGN_IN_TIMEOUT_MS } from '../auth/interactive.js';
import { type ParsedArgs, UsageError, wholeNumber } from './args.js';

/** The flags, for `parseCommandArgs`. */
export const SIGN_IN_OPTIONS = {
  'no-browser': { type: 'boolean' },
  'callback-port': { type: 'string' },
  'sign-in-timeout': { type: 'string' },
  'device-code': { type: 'boolean' },
  'client-credentials': { type: 'boolean' },
  'client-id': { type: 'string' },
  'client-secret': { type: 'string' },
  'no-auth': { type: 'boolean' },
} as const;

/** Their help lines. */
export const SIGN_IN_USAGE = [
  'Sign-in (remote servers that answer 401; tokens are kept per user, see lifeline auth):',
  '  --no-browser           Print the sign-in address instead of opening the browser',
  '  --callback-port N      Loopback port of the sign-in callback (default: derived from the URL)',
  `  --sign-in-timeout MS   Longest wait for the sign-in (default ${DEFAULT_SIGN_IN_TIMEOUT_MS}, 5 min)`,
  '  --device-code          Sign in with a code entered on another device (RFC 8628; no browser here)',
  '  --client-credentials   Get tokens as the client itself, with no user (needs a client id and secret)',
  '  --client-id ID         A client registered at the authorization server (no dynamic registration)',
  '  --client-secret S      Its secret (other local users can see it in the process list: prefer',
  "                         the config file's oauth.clientSecret, read from an environment variable)",
  '  --no-auth              Never sign in (a 401 is then an error)',
];

/** What the sign-in flags say. */
export interface SignInFlags {
  /** `--no-auth`: never attach a sign-in. */
  noAuth: boolean;
  noBrowser: boolean;
  callbackPort: number | undefined;
  signInTimeoutMs: number;
  /** `--device-code` or `--client-credentials`; undefined: the config's, else the browser. */
  grant: CliGrant | undefined;
  clientId: string | undefined;
  clientSecret: string | undefined;
  /** Whether any sign-in flag was given (a target that cannot sign in is then a usage error). */
  explicit: boolean;
}

function text(value: string | boolean | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') throw new UsageError(`--${flag} needs a value`);
  return value.trim();
}

/**
 * Reads the sign-in flags.
 *
 * @throws {UsageError} for a bad number, or flags that contradict each other.
 */
export function signInFlags(values: ParsedArgs['values']): SignInFlags {
  const device = values['device-code'] === true;
  const credentials = values['client-credentials'] === true;
  if (device && credentials) throw new UsageError('give --device-code or --client-credentials, not both');
  const port = values['callback-port'];
  const flags: SignInFlags = {
    noAuth: values['no-auth'] === true,
    noBrowser: values['no-browser'] === true,
    callbackPort: port === undefined ? undefined : wholeNumber(port, 'callback-port', 0, { min: 1 }),
    signInTimeoutMs: wholeNumber(values['sign-in-timeout'], 'sign-in-timeout', DEFAULT_SIGN_IN_TIMEOUT_MS),
    grant: device ? 'device_code' : credentials ? 'client_credentials' : undefined,
    clientId: text(values['client-id'], 'client-id'),
    clientSecret: text(values['client-secret'], 'client-secret'),
    explicit: Object.keys(SIGN_IN_OPTIONS).some((flag) => flag !== 'no-auth' && values[flag] !== undefined),
  };
  if (flags.callbackPort !== undefined && flags.callbackPort > 65_535)
    throw new UsageError(`--callback-port expects a port number (1-65535), got "${String(port)}"`);
  if (flags.noAuth && flags.explicit) throw new UsageError('--no-auth goes with no other sign-in flag');
  return flags;
}
