/**
 * Reading a `WWW-Authenticate` header (RFC 9110 §11.6.1): the Bearer (RFC 6750 §3) or DPoP
 * (RFC 9449 §7.1) challenge and the parameters MCP uses from it.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#protected-resource-metadata-discovery-requirements
 */

/** What a challenge tells the client. */
export interface Challenge {
  /** The scheme, lower case (`bearer`, `dpop`); undefined when there is no usable challenge. */
  scheme: string | undefined;
  /** `resource_metadata` (RFC 9728 §5.1): where the protected resource metadata is. */
  resourceMetadata: URL | undefined;
  /** `scope` (RFC 6750 §3): the scopes the request needs. */
  scope: string | undefined;
  /** `error` (RFC 6750 §3.1): `invalid_token`, `insufficient_scope`, … */
  error: string | undefined;
  /** `error_description`: text for humans; never trusted for decisions. */
  errorDescription: string | undefined;
}

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const SCHEMES = new Set(['bearer', 'dpop']);

/** One challenge: its scheme and parameters (lower-case names). */
interface RawChallenge {
  scheme: string;
  params: Map<string, string>;
}

/**
 * Splits a header value (or several joined with `, `) into challenges. Tolerant: what does not
 * parse is skipped, as a browser would.
 */
export function parseChallenges(header: string): RawChallenge[] {
  const out: RawChallenge[] = [];
  let current: RawChallenge | undefined;
  let i = 0;
  const n = header.length;
  const skipSpace = (): void => {
    while (i < n && (header[i] === ' ' || header[i] === '\t')) i += 1;
  };
  while (i < n) {
    while (i < n && /[\s,]/.test(header[i] as string)) i += 1;
    const start = i;
    while (i < n && TCHAR.test(header[i] as string)) i += 1;
    const token = header.slice(start, i);
    if (token === '') {
      i += 1;
      continue;
    }
    skipSpace();
    if (header[i] !== '=') {
      // A token not followed by `=` starts a new challenge (a token68 after it is skipped below).
      current = { scheme: token.toLowerCase(), params: new Map() };
      out.push(current);
      continue;
    }
    i += 1;
    skipSpace();
    let value = '';
    if (header[i] === '"') {
      i += 1;
      while (i < n && header[i] !== '"') {
        if (header[i] === '\\' && i + 1 < n) i += 1;
        value += header[i];
        i += 1;
      }
      i += 1;
    } else {
      const from = i;
      while (i < n && !/[\s,]/.test(header[i] as string)) i += 1;
      value = header.slice(from, i);
    }
    if (current !== undefined && !current.params.has(token.toLowerCase()))
      current.params.set(token.toLowerCase(), value);
  }
  return out;
}

/**
 * The Bearer (or DPoP) challenge of a `WWW-Authenticate` header, as MCP reads it. A header
 * with no such challenge gives a challenge with every field undefined.
 */
export function parseChallenge(header: string | undefined): Challenge {
  const found = header === undefined ? undefined : parseChallenges(header).find((c) => SCHEMES.has(c.scheme));
  const param = (name: string): string | undefined => {
    const value = found?.params.get(name);
    return value === undefined || value === '' ? undefined : value;
  };
  let resourceMetadata: URL | undefined;
  const metadata = param('resource_metadata');
  if (metadata !== undefined) {
    try {
      resourceMetadata = new URL(metadata);
    } catch {
      // An unusable URL is as good as none: discovery falls back to the well-known locations.
    }
  }
  return {
    scheme: found?.scheme,
    resourceMetadata,
    scope: param('scope'),
    error: param('error'),
    errorDescription: param('error_description'),
  };
}
