/**
 * `lifeline auth list|login|logout`: the sign-ins the command keeps (the per-user token store,
 * src/auth/file-store.ts). `list` shows what is stored and never a token; `login` signs in now;
 * `logout` revokes the refresh tokens where the authorization server allows it and forgets
 * everything stored for the server.
 */

import { FileStore, type StoredServer } from '../auth/file-store.js';
import { revokeStored } from '../auth/revocation.js';
import { authDispatcher } from '../runtime/lifecycle/links.js';
import { closest } from '../runtime/options/did-you-mean.js';
import { type Command, EXIT_OK, parseCommandArgs, UsageError } from './args.js';
import { type LoginOutcome, login } from './auth-login.js';
import { formatMs } from './output.js';
import { SIGN_IN_OPTIONS, SIGN_IN_USAGE, signInFlags } from './sign-in-flags.js';
import { parseTargetCommand, type ResolvedTarget } from './target.js';

const TARGETS = [
  'Targets:',
  '  NAME               a server in the config file (--config, or the first of the usual places)',
  '  http(s)://…        a remote server by URL',
];

const LIST_USAGE = [
  'Usage: lifeline auth list [--json]',
  '',
  'Lists the servers with a stored sign-in: the server URL, the authorization server, the scope,',
  'when the access token expires and whether a refresh token is held. Never a token or a secret.',
  '',
  'Options:',
  '  --json             Print a JSON array on stdout',
  '  -h, --help         Show this help',
  '',
].join('\n');

const LOGIN_USAGE = [
  'Usage: lifeline auth login [options] <target>',
  '',
  'Signs in to a server now, without connecting further than the sign-in needs, and stores the',
  'tokens for connect, bridge, status and watch. Prints "already signed in" when the stored tokens',
  'work.',
  '',
  ...TARGETS,
  '',
  ...SIGN_IN_USAGE,
  '',
  'Options:',
  '  --config FILE      The mcpServers / servers file to read NAME from',
  '  -h, --help         Show this help',
  '',
].join('\n');

const LOGOUT_USAGE = [
  'Usage: lifeline auth logout [--config FILE] <target>',
  '',
  'Revokes the stored refresh tokens at the authorization server when it offers revocation',
  '(RFC 7009; best effort), then deletes everything stored for the server: tokens, client',
  'registrations, discovery.',
  '',
  ...TARGETS,
  '',
  'Options:',
  '  --config FILE      The mcpServers / servers file to read NAME from',
  '  -h, --help         Show this help',
  '',
].join('\n');

const USAGE = [
  'Usage: lifeline auth <list|login|logout> [options]',
  '',
  'The sign-ins lifeline keeps for remote servers that require one (MCP authorization, OAuth 2.1).',
  'They live in the per-user configuration folder (LIFELINE_AUTH_DIR moves it), files mode 0600.',
  '',
  'Commands:',
  '  list               List the stored sign-ins (no tokens shown)',
  '  login <target>     Sign in now',
  '  logout <target>    Revoke and forget a sign-in',
  '',
  "Run 'lifeline auth <command> --help' for a command's options.",
  '',
].join('\n');

const SUBCOMMANDS: Record<string, { usage: string; run: (argv: readonly string[]) => Promise<number> }> = {
  list: { usage: LIST_USAGE, run: runList },
  login: { usage: LOGIN_USAGE, run: runLogin },
  logout: { usage: LOGOUT_USAGE, run: runLogout },
};

function say(text: string): void {
  process.stderr.write(`lifeline auth: ${text}\n`);
}

/** When something happens relative to now: `in 52 min`, `3.00 s ago`, `unknown`. */
function when(at: number | undefined, now: number): string {
  if (at === undefined) return 'unknown';
  const ms = Math.abs(at - now);
  const text = ms >= 120_000 ? `${Math.round(ms / 60_000)} min` : formatMs(ms);
  return at >= now ? `in ${text}` : `${text} ago`;
}

async function runList(argv: readonly string[]): Promise<number> {
  const args = parseCommandArgs(argv, { json: { type: 'boolean' } });
  if (args.help) {
    process.stdout.write(LIST_USAGE);
    return EXIT_OK;
  }
  const store = new FileStore();
  const servers = await store.listStored();
  if (args.values.json === true) {
    process.stdout.write(`${JSON.stringify(servers.map(jsonOf), null, 2)}\n`);
    return EXIT_OK;
  }
  say(`${servers.length} server(s) with a stored sign-in in ${store.dir}`);
  if (servers.length === 0) return EXIT_OK;
  const now = Date.now();
  const rows: string[][] = [['SERVER', 'ISSUER', 'SCOPE', 'EXPIRES', 'REFRESH TOKEN']];
  for (const server of servers) {
    if (server.tokens.length === 0) {
      const issuers = server.clients.map((client) => client.issuer).join(', ');
      rows.push([server.serverUrl, issuers, '(registered, not signed in)', '', '']);
    }
    for (const tokens of server.tokens) {
      const expires = tokens.expiresAt === undefined ? 'unknown' : when(tokens.expiresAt, now);
      rows.push([
        server.serverUrl,
        tokens.issuer ?? '?',
        tokens.scope ?? '',
        tokens.expiresAt !== undefined && tokens.expiresAt < now ? `expired ${expires}` : expires,
        tokens.hasRefreshToken ? 'yes' : 'no',
      ]);
    }
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length))) ?? [];
  const lines = rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT_OK;
}

function iso(at: number | undefined): string | null {
  return at === undefined ? null : new Date(at).toISOString();
}

function jsonOf(server: StoredServer): Record<string, unknown> {
  return {
    serverUrl: server.serverUrl,
    registrations: server.clients.map((client) => ({ issuer: client.issuer, savedAt: iso(client.savedAt) })),
    tokens: server.tokens.map((tokens) => ({
      resource: tokens.resource ?? null,
      issuer: tokens.issuer ?? null,
      scope: tokens.scope ?? null,
      obtainedAt: iso(tokens.obtainedAt),
      expiresAt: iso(tokens.expiresAt),
      refreshToken: tokens.hasRefreshToken,
    })),
  };
}

/** A remote target of login or logout. */
function remoteTarget(target: ResolvedTarget): ResolvedTarget {
  if (!('url' in target.config))
    throw new UsageError(`sign-in applies to servers reached by URL; "${target.name}" is ${target.type}`);
  return target;
}

async function runLogin(argv: readonly string[]): Promise<number> {
  const args = parseTargetCommand(argv, SIGN_IN_OPTIONS);
  if (args.help) {
    process.stdout.write(LOGIN_USAGE);
    return EXIT_OK;
  }
  const flags = signInFlags(args.values);
  if (flags.noAuth) throw new UsageError('--no-auth makes no sense for login');
  const target = remoteTarget(args.target());
  const done = await login(target, flags);
  say(describeLogin(target.name, done));
  return EXIT_OK;
}

function describeLogin(name: string, done: LoginOutcome): string {
  if (done.result === 'open') return `${name} asks for no sign-in; nothing stored`;
  const what = done.result === 'already' ? 'already signed in to' : 'signed in to';
  const parts = [
    done.issuer === undefined ? undefined : `issuer ${done.issuer}`,
    done.scope === undefined ? undefined : `scope ${done.scope}`,
    done.expiresAt === undefined ? undefined : `access token expires ${when(done.expiresAt, Date.now())}`,
    `refresh token ${done.refreshToken ? 'held' : 'none'}`,
  ].filter((part) => part !== undefined);
  return `${what} ${name} (${parts.join(', ')})`;
}

async function runLogout(argv: readonly string[]): Promise<number> {
  const args = parseTargetCommand(argv, {});
  if (args.help) {
    process.stdout.write(LOGOUT_USAGE);
    return EXIT_OK;
  }
  const target = remoteTarget(args.target());
  const config = target.config as { url: string | URL; allowInsecure?: boolean };
  const url = String(config.url).replace(/^ws/i, 'http');
  const store = new FileStore();
  const { clientId, clientSecret } = target.oauth ?? {};
  const outcomes = await revokeStored(store, url, {
    staticClient:
      clientId === undefined
        ? undefined
        : { client_id: clientId, ...(clientSecret === undefined ? {} : { client_secret: clientSecret }) },
    allowInsecure: config.allowInsecure,
    dispatcher: authDispatcher(),
  });
  for (const outcome of outcomes) {
    const at = outcome.issuer ?? 'the authorization server';
    if (outcome.result === 'revoked') say(`revoked the refresh token at ${at}`);
    else if (outcome.result === 'unsupported')
      say(`${at} offers no token revocation; the tokens stay valid there until they expire`);
    else if (outcome.result === 'failed')
      say(`could not revoke the refresh token at ${at}: ${outcome.detail}`);
  }
  const existed = await store.removeStored(url);
  say(
    existed
      ? `signed out of ${target.name}: its stored sign-in is deleted`
      : `nothing stored for ${target.name}`,
  );
  return EXIT_OK;
}

export const authCommand: Command = {
  name: 'auth',
  summary: 'List, sign in to, or sign out of remote servers that require sign-in',
  usage: USAGE,
  run: async (argv) => {
    const [name, ...rest] = argv;
    if (name === undefined) throw new UsageError('missing command: list, login or logout');
    if (name === '-h' || name === '--help') {
      process.stdout.write(USAGE);
      return EXIT_OK;
    }
    const sub = Object.hasOwn(SUBCOMMANDS, name) ? SUBCOMMANDS[name] : undefined;
    if (sub === undefined) {
      if (name.startsWith('-'))
        throw new UsageError(`unknown option ${name} (give list, login or logout first)`);
      const close = closest(name, Object.keys(SUBCOMMANDS));
      throw new UsageError(
        `unknown command auth ${name}${close === undefined ? '' : ` (did you mean ${close}?)`}`,
      );
    }
    return sub.run(rest);
  },
};
