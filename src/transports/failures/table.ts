/**
 * Every way a link can fail, in one table: what the fault means and what the runtime does about
 * it. The links consult it (HTTP and WebSocket errors, HTTP statuses, close codes, process and
 * container exits), docs/reliability.md renders it (a test keeps the two equal), so the
 * behaviour and its description cannot drift apart.
 *
 * The rule behind every row: while the link is down, calls wait in the bounded queue; only the
 * calls in flight at the fault fail, or are re-issued where the era allows (the 2026-07-28 era
 * on Streamable HTTP). A fault whose message certainly never reached the server (`reached:
 * 'no'`) fails nothing: the message waits for the next link.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-15 (HTTP status codes)
 * @see https://www.rfc-editor.org/rfc/rfc6455#section-7.4 (WebSocket close codes)
 * @see https://github.com/nodejs/undici/blob/main/docs/docs/api/Errors.md (undici error codes)
 */

import { ErrorCode } from '../../errors.js';
import { HTTP_ROWS, WEBSOCKET_ROWS } from './http-rows.js';
import { SOCKET_ROWS, UNDICI_ROWS } from './network-rows.js';
import { DOCKER_ROWS, STDIO_ROWS } from './process-rows.js';
import type { FaultFamily, FaultRule } from './rule.js';

export type { FaultAction, FaultFamily, FaultMeaning, FaultReach, FaultRule } from './rule.js';

/** The whole table, in the order docs/reliability.md shows it. */
export const FAILURE_TABLE: readonly FaultRule[] = [
  ...SOCKET_ROWS,
  ...UNDICI_ROWS,
  ...HTTP_ROWS,
  ...WEBSOCKET_ROWS,
  ...STDIO_ROWS,
  ...DOCKER_ROWS,
];

function index(family: FaultFamily): Map<string, FaultRule> {
  const map = new Map<string, FaultRule>();
  for (const rule of FAILURE_TABLE) if (rule.family === family) map.set(rule.fault, rule);
  return map;
}

const NETWORK = new Map([...index('socket'), ...index('undici')]);
const HTTP = index('http');
const WEBSOCKET = index('websocket');
const STDIO = index('stdio');
const DOCKER = index('docker');

function must(map: Map<string, FaultRule>, key: string): FaultRule {
  const rule = map.get(key);
  if (rule === undefined) throw new Error(`The failure table has no row ${key}`);
  return rule;
}

/**
 * The rule for an error a network request failed with, by its `code` (undici's `UND_ERR_*`,
 * Node's `E*` socket codes; a `LIFELINE_ERR_NETWORK` wrapper by its cause's). An unknown code is
 * taken as the link going down (`other`).
 */
export function networkFault(error: unknown): FaultRule {
  const { code, name, statusCode, cause } = (error ?? {}) as {
    code?: unknown;
    name?: unknown;
    statusCode?: unknown;
    cause?: unknown;
  };
  // The HTTP client hands the links its errors wrapped (`LIFELINE_ERR_NETWORK`): the row is the
  // one of the error underneath, not `other`.
  if (code === ErrorCode.Network && cause !== undefined && cause !== null) return networkFault(cause);
  if (name === 'AbortError') return must(NETWORK, 'ABORT_ERR');
  // undici's llhttp errors usually carry no code (`HTTPParserError`, code undefined).
  if (name === 'HTTPParserError') return must(NETWORK, 'HPE_*');
  if (typeof code !== 'string') return must(NETWORK, 'other');
  // An error status thrown by an interceptor is a response: the status decides.
  if (
    (code === 'UND_ERR_RESPONSE' || code === 'UND_ERR_RESPONSE_STATUS_CODE') &&
    typeof statusCode === 'number'
  )
    return statusFault(statusCode);
  if (code.startsWith('HPE_')) return must(NETWORK, 'HPE_*');
  return NETWORK.get(code) ?? must(NETWORK, 'other');
}

/** The rule for an HTTP error status: its own row, else its class's (`4xx`, `5xx`). */
export function statusFault(status: number): FaultRule {
  return HTTP.get(String(status)) ?? must(HTTP, status >= 500 ? '5xx' : '4xx');
}

/** The rule for a WebSocket close code (RFC 6455 §7.4, the IANA registry, the private range). */
export function closeFault(code: number): FaultRule {
  const own = WEBSOCKET.get(String(code));
  if (own !== undefined) return own;
  if (code >= 4000 && code <= 4999) return must(WEBSOCKET, '4000-4999');
  if (code >= 3000 && code <= 3999) return must(WEBSOCKET, '3000-3999');
  return must(WEBSOCKET, 'other');
}

/** The rule for a child process that could not be spawned, by its errno code. */
export function spawnFault(code: string | undefined): FaultRule {
  return STDIO.get(`spawn ${code}`) ?? must(STDIO, 'spawn other');
}

/** The rule for a server process that exited (`code`) or was killed (`signal`). */
export function exitFault(code: number | null, signal: string | null): FaultRule {
  if (signal !== null) return must(STDIO, 'killed by a signal');
  return must(STDIO, code === 0 ? 'exit 0' : 'exit 1-255');
}

/** The rule for a Docker Engine call that failed: by the socket's code, else the HTTP status class. */
export function engineFault(error: unknown): FaultRule | undefined {
  const { code, statusCode } = (error ?? {}) as { code?: unknown; statusCode?: unknown };
  const own = typeof code === 'string' ? DOCKER.get(`engine ${code}`) : undefined;
  if (own !== undefined) return own;
  if (typeof statusCode === 'number' && statusCode >= 400)
    return must(DOCKER, statusCode >= 500 ? 'engine 5xx' : 'engine 4xx');
  return undefined;
}

/**
 * A named row (`faultRule('http', '400/404 + Mcp-Session-Id')`, `faultRule('docker', 'container
 * exit')`).
 *
 * @throws {Error} when the table has no such row (a typo in the code, caught by its tests).
 */
export function faultRule(family: FaultFamily, fault: string): FaultRule {
  const rule = FAILURE_TABLE.find((row) => row.family === family && row.fault === fault);
  if (rule === undefined) throw new Error(`The failure table has no row ${family} ${fault}`);
  return rule;
}

/** Whether a fault takes the link down (the server is gone or unreachable for now, or refuses us for good). */
export function takesLinkDown(rule: FaultRule): boolean {
  return rule.action === 'reconnect' || rule.action === 'retry-after' || rule.action === 'give-up';
}

/**
 * Whether the message that met the fault waits in the queue for the next link (`undelivered`):
 * it certainly never reached the server, and this link is ending (a fault that fails only its
 * request, or ends the connection, does not keep it).
 */
export function waitsForNextLink(rule: FaultRule): boolean {
  return rule.reached === 'no' && rule.action !== 'fail-request' && rule.action !== 'give-up';
}

const FAMILY_TITLES: Record<FaultFamily, string> = {
  socket: 'Node socket errors (HTTP, WebSocket, the Docker Engine API)',
  undici: 'undici errors (HTTP)',
  http: 'HTTP statuses (Streamable HTTP, HTTP+SSE, a WebSocket upgrade)',
  websocket: 'WebSocket close codes',
  stdio: 'stdio: spawn errors and exits',
  docker: 'Docker',
};

/** What becomes of the message that met the fault, in words. */
function fate(rule: FaultRule): string {
  if (rule.reached === 'answered') return 'answered: fails with that answer';
  if (rule.reached === 'maybe')
    return rule.action === 'none' ? "in flight: the link's end decides" : 'in flight: -32090, or re-issued';
  return waitsForNextLink(rule) ? 'never reached the server: sent again' : 'never reached the server: fails';
}

/** The table as markdown, one sub-table per family: what docs/reliability.md shows. */
export function renderFailureTable(): string {
  const out: string[] = [];
  for (const family of Object.keys(FAMILY_TITLES) as FaultFamily[]) {
    out.push(`#### ${FAMILY_TITLES[family]}`, '');
    out.push('| Fault | Meaning | Runtime action | The message | Retryable | Note |');
    out.push('|---|---|---|---|---|---|');
    for (const rule of FAILURE_TABLE) {
      if (rule.family !== family) continue;
      const cells = [
        `\`${rule.fault}\``,
        rule.meaning,
        rule.action,
        fate(rule),
        rule.retryable ? 'yes' : 'no',
        rule.note.replaceAll('|', '\\|'),
      ];
      out.push(`| ${cells.join(' | ')} |`);
    }
    out.push('');
  }
  return out.join('\n').trimEnd();
}
