// Issue 16: the body of an HTTP error response. One that never ends must not hold its request (it
// held it forever: the link read it to its end before deciding); one that is a proxy's HTML page
// must show in errors, logs and the status as one line of text (it carried the whole page, several
// lines of markup). Real loopback servers; the link driven directly where a bound must be short.

import { afterEach, describe, expect, it } from 'vitest';
import { createTransport, ErrorCode, HttpError } from '../../src/index.js';
import { bodyExcerpt } from '../../src/transports/http/error-body.js';
import { createHttpFamilyLink } from '../../src/transports/http/family.js';
import { closeAfterEach } from '../helpers/cleanup.js';
import {
  type Behaviour,
  type MisbehavingServer,
  reply,
  standard,
  startMisbehavingServer,
} from '../helpers/http-misbehaving.js';
import { driveLink, type LinkDriver, recordingSink } from '../helpers/link-driver.js';
import { waitFor } from '../helpers/processes.js';
import { Raw, record, recordingLogger } from '../helpers/raw-client.js';

const TOKEN = 'sekret-token-123';

/** What nginx 1.25 sends when its upstream is down (padding comments included). */
const NGINX_502 = [
  '<html>',
  '<head><title>502 Bad Gateway</title></head>',
  '<body>',
  '<center><h1>502 Bad Gateway</h1></center>',
  '<hr><center>nginx/1.25.3</center>',
  '</body>',
  '</html>',
  ...Array.from({ length: 6 }, () => '<!-- a padding to disable MSIE and Chrome friendly error page -->'),
  '',
].join('\r\n');

const keep = closeAfterEach({ rejections: true });
const drivers: LinkDriver[] = [];
afterEach(() => {
  for (const driver of drivers.splice(0)) driver.stop();
});

async function serve(behaviour: Behaviour): Promise<MisbehavingServer> {
  return keep(await startMisbehavingServer(behaviour));
}

/** The Streamable HTTP link alone, with a short bound on error bodies. */
function link(url: string, errorBodyMs: number): LinkDriver {
  const logic = createHttpFamilyLink(
    {
      url: new URL(url),
      headers: {},
      redirect: 'same-origin',
      maxMessageBytes: 1_000_000,
      resumeDelayMs: 50,
      secrets: [],
      connectMs: 2000,
      errorBodyMs,
    },
    recordingSink(),
    'http',
  );
  const driver = driveLink(logic);
  drivers.push(driver);
  return driver;
}

describe('an HTTP error response whose body never ends', () => {
  it('fails its request with a typed error once the bound passes; the link lives on', async () => {
    const server = await serve((request, response) => {
      if (request.rpc?.method !== 'stuck') return standard(request, response);
      // The status line, the headers and the start of a page; then nothing, and no end.
      response.writeHead(500, { 'content-type': 'text/html' });
      response.write('<html><body><h1>Internal Server Error</h1><p>still writ');
    });
    const driver = link(server.url(), 150);
    const handle = await driver.up();
    const started = performance.now();
    const error = await handle.send({ jsonrpc: '2.0', id: 1, method: 'stuck' }).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(performance.now() - started).toBeLessThan(2000);
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ code: ErrorCode.Http, status: 500 });
    const message = (error as Error).message;
    expect(message).toContain('the body did not end within 150 ms');
    expect(message).toContain('Internal Server Error still writ');
    expect(message).not.toMatch(/[<>\n]/);
    // Only that request: the next one is answered on the same link.
    await handle.send({ jsonrpc: '2.0', id: 2, method: 'fine' });
    expect(driver.events.map((event) => event.type)).toEqual(['link.up']);
  });
});

describe('an HTTP error response with an HTML page', () => {
  it('shows as one line of text in the error, the status and the logs: status, type, excerpt', async () => {
    // The page echoes the credential, as some error pages echo request headers.
    const page = NGINX_502.replace('<hr>', `<hr><pre>Authorization: Bearer ${TOKEN}</pre>`);
    const server = await serve((request, response) =>
      request.rpc?.method === 'proxied'
        ? reply(response, 502, 'text/html', page)
        : standard(request, response),
    );
    const log = recordingLogger();
    const transport = keep(
      createTransport({
        url: server.url(),
        headers: { authorization: `Bearer ${TOKEN}` },
        logger: log.logger,
        reconnect: { initialDelayMs: 20, jitter: 0 },
        heartbeat: { intervalMs: 0 },
      }),
    );
    const statuses = record(transport);
    const raw = new Raw(transport);
    await transport.start();
    const error = await raw.request('proxied').then(
      () => undefined,
      (failure: unknown) => failure as HttpError,
    );
    expect(error).toBeInstanceOf(HttpError);
    const message = error?.message ?? '';
    expect(message).toMatch(
      /^POST http:\/\/127\.0\.0\.1:\d+\/mcp got HTTP 502 \(text\/html\): 502 Bad Gateway Authorization: [^<]*\[redacted\] nginx\/1\.25\.3$/,
    );
    // 502 takes the link down (a gateway without its server); then everything the transport shows
    // carries the line, never the page.
    await waitFor(() => statuses.some((status) => status.state === 'reconnecting'));
    const shown = [
      message,
      JSON.stringify(statuses),
      JSON.stringify(log.calls),
      JSON.stringify(transport.status),
      JSON.stringify(error),
    ];
    for (const text of shown) {
      expect(text).not.toMatch(/<\/?(html|head|body|center|hr|h1|title)\b|<!--/);
      expect(text).not.toContain(TOKEN);
    }
  });
});

describe('bodyExcerpt', () => {
  it('turns an nginx page into its words', () => {
    expect(bodyExcerpt(NGINX_502)).toBe('502 Bad Gateway nginx/1.25.3');
  });

  it('drops scripts, styles, comments and unclosed tags, and keeps 200 printable characters', () => {
    const page = `<!doctype html><html><head><style>body{color:red}</style></head><body><script>alert("x<y")</script><p>Service\u0000\u200b unavailable &amp; retrying\tsoon</p>${'x'.repeat(400)}<a href="`;
    const excerpt = bodyExcerpt(page);
    expect(excerpt.startsWith('Service unavailable & retrying soon x')).toBe(true);
    expect([...excerpt]).toHaveLength(201);
    expect(excerpt.endsWith('…')).toBe(true);
    expect(excerpt).not.toMatch(/[<>\t]/);
    expect(excerpt.includes('\u0000') || excerpt.includes('\u200b')).toBe(false);
  });

  it('keeps JSON as one compact line, and markup-looking text that is not a tag', () => {
    expect(bodyExcerpt('{\n  "error": "busy",\n  "retry": 2\n}')).toBe('{"error":"busy","retry":2}');
    expect(bodyExcerpt('a < b and &lt;script&gt;')).toBe('a < b and &lt;script&gt;');
  });
});
