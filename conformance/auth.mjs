// Headless OAuth for the MCP conformance suite's auth/* scenarios, driven through the SDK's
// documented flow: the transport gets an `authProvider`; `connect()` (or a call) fails with
// `UnauthorizedError` after the provider was handed the authorization URL; the provider
// "opens the browser" by fetching that URL with redirect: 'manual' and keeping the callback's
// query from the Location header (code, state, iss); the app checks `state`, calls
// `transport.finishAuth(callbackParams)` and connects again.
//
// Modelled on the SDK's own conformance client (typescript-sdk test/conformance:
// helpers/conformanceOAuthProvider.ts, withOAuthRetry.ts), but through the public flow instead
// of calling `auth()` directly.

/** The Client ID Metadata Document URL the suite's CIMD scenario expects as `client_id`. */
export const CIMD_URL = 'https://conformance-test.local/client-metadata.json';
/** The redirect URI the suite's authorization servers send the user back to (never listened on). */
export const REDIRECT_URL = 'http://localhost:3000/callback';

const debug = (...args) => {
  if (process.env.MCP_CONFORMANCE_DEBUG) console.error('[auth]', ...args);
};

/**
 * An in-memory `OAuthClientProvider` (the SDK's v1 and v2 shape) whose "browser" is a fetch
 * that does not follow the authorization server's redirect.
 */
export class HeadlessProvider {
  #client;
  #tokens;
  #verifier;
  #discovery;
  #state;
  /** The last authorization callback's query (code, state, iss), until taken. */
  callback;

  /**
   * @param {{ clientMetadataUrl?: string, preRegistered?: { client_id: string, client_secret?: string } }} [options]
   */
  constructor({ clientMetadataUrl, preRegistered } = {}) {
    this.clientMetadataUrl = clientMetadataUrl;
    this.#client = preRegistered && { ...preRegistered, redirect_uris: [REDIRECT_URL] };
  }
  get redirectUrl() {
    return REDIRECT_URL;
  }
  get clientMetadata() {
    return { client_name: 'mcp-lifeline-conformance', redirect_uris: [REDIRECT_URL] };
  }
  state() {
    this.#state = crypto.randomUUID();
    return this.#state;
  }
  clientInformation() {
    return this.#client;
  }
  saveClientInformation(info) {
    this.#client = info;
  }
  tokens() {
    return this.#tokens;
  }
  saveTokens(tokens) {
    this.#tokens = tokens;
  }
  saveCodeVerifier(verifier) {
    this.#verifier = verifier;
  }
  codeVerifier() {
    return this.#verifier;
  }
  saveDiscoveryState(state) {
    this.#discovery = state;
  }
  discoveryState() {
    return this.#discovery;
  }
  invalidateCredentials(scope) {
    debug('invalidateCredentials', scope);
    if (scope === 'all' || scope === 'client') this.#client = undefined;
    if (scope === 'all' || scope === 'tokens') this.#tokens = undefined;
    if (scope === 'all' || scope === 'discovery') this.#discovery = undefined;
  }
  /** "Opens the browser": the suite's authorization servers answer at once with a redirect. */
  async redirectToAuthorization(url) {
    debug('authorize at', url.origin + url.pathname);
    const response = await fetch(url, { redirect: 'manual' });
    const location = response.headers.get('location');
    if (!location) throw new Error(`no redirect from the authorization endpoint (HTTP ${response.status})`);
    this.callback = new URL(location).searchParams;
  }
  /** The callback's query, after the app's own `state` check (the SDK leaves that check to the app). */
  takeCallback() {
    const params = this.callback;
    this.callback = undefined;
    if (params === undefined) throw new Error('no authorization callback to finish');
    if (params.get('state') !== this.#state) throw new Error('the callback carries another state');
    return params;
  }
}

/** The provider for a scenario: pre-registered from MCP_CONFORMANCE_CONTEXT when the suite gives one. */
export function conformanceProvider(scenario, context = {}) {
  const preRegistered =
    scenario === 'auth/pre-registration' && context.client_id
      ? { client_id: context.client_id, client_secret: context.client_secret }
      : undefined;
  return new HeadlessProvider({ clientMetadataUrl: CIMD_URL, preRegistered });
}

/** Whether an error asks for a sign-in (lifeline's `UnauthorizedError`, or the SDK's). */
export function isUnauthorized(error) {
  return error?.name === 'UnauthorizedError';
}

/**
 * The SDK's documented flow around `connect` and each operation: on `UnauthorizedError`,
 * `transport.finishAuth(callbackParams)`, connect again if the client was closed, and retry;
 * at most `maxSignIns` sign-ins per operation (the suite's step-up scenario allows three).
 *
 * @param {() => Promise<void>} connect connects the client (`client.connect(transport)`).
 * @param {{ provider: HeadlessProvider, transport: { finishAuth(params: URLSearchParams): Promise<void> }, connected: () => boolean, maxSignIns?: number }} options
 * @returns {{ connect(): Promise<void>, run<T>(op: () => Promise<T>): Promise<T> }}
 */
export function withOAuth(connect, { provider, transport, connected, maxSignIns = 3 }) {
  const attempt = async (what, op) => {
    for (let signIns = 0; ; signIns += 1) {
      try {
        return await op();
      } catch (error) {
        if (!isUnauthorized(error) || signIns >= maxSignIns - 1) throw error;
        debug(`${what}: UnauthorizedError (${error.message}); finishing the sign-in`);
        await transport.finishAuth(provider.takeCallback());
        if (what !== 'connect' && !connected()) await attempt('connect', connect);
      }
    }
  };
  return {
    connect: () => attempt('connect', connect),
    run: (op) => attempt('operation', op),
  };
}

/**
 * One `auth/*` scenario, as conformance/client.mjs calls it: every auth scenario asks the same of
 * a client — connect, list the tools, call `test-tool`, close — through the SDK's documented
 * flow around a transport with this module's headless provider.
 *
 * @param {{ name: string, url: string, context?: object, sdk: { createClient(capabilities: object): any }, createTransport: Function, logger?: object }} options
 */
export async function runAuthScenario({ name, url, context, sdk, createTransport, logger }) {
  const provider = conformanceProvider(name, context ?? {});
  const transport = createTransport({ url, authProvider: provider, logger });
  const client = sdk.createClient({});
  const flow = withOAuth(() => client.connect(transport), {
    provider,
    transport,
    connected: () => client.transport !== undefined,
  });
  await flow.connect();
  try {
    await flow.run(() => client.listTools());
    await flow.run(() => client.callTool({ name: 'test-tool', arguments: {} }));
  } finally {
    await client.close();
  }
}
