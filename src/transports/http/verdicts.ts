/**
 * Which HTTP transport an endpoint speaks, once found out: a bare `url` starts with
 * Streamable HTTP and falls back to legacy HTTP+SSE when the initialize POST is refused. The
 * verdict is kept per endpoint (origin and path) for the life of the process, so later
 * connections and reconnects go straight to the right transport.
 */

/** The transport an endpoint was found to speak. */
export type HttpVerdict = 'http' | 'sse';

const verdicts = new Map<string, HttpVerdict>();

function key(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/** The cached verdict for an endpoint, if any. */
export function verdictFor(url: URL): HttpVerdict | undefined {
  return verdicts.get(key(url));
}

/** Records what an endpoint speaks. */
export function recordVerdict(url: URL, verdict: HttpVerdict): void {
  verdicts.set(key(url), verdict);
}

/** Forgets every verdict (a server was replaced by one that speaks another transport). */
export function forgetVerdicts(): void {
  verdicts.clear();
}
