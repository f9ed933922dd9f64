// @ts-check
// Debian's nginx as a reverse proxy in front of a backend, as it is deployed in front of MCP servers:
// HTTP/1.1 to the backend with keep-alive, no buffering (SSE streams pass through as they come). It runs
// with a configuration of the soak's own in a temporary folder (no root paths: pid file, logs and temp
// folders all there), on a free loopback port, in the foreground as a child of the soak.
// While the backend is down nginx answers 502 (a single upstream server is never marked unavailable).

import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forget, freePort, killQuietly, remember, sleep } from './util.js';

const START_TIMEOUT_MS = 10_000;

/** The nginx executable, or undefined. */
export function findNginx() {
  for (const candidate of [
    '/usr/sbin/nginx',
    '/usr/bin/nginx',
    '/usr/local/sbin/nginx',
    '/usr/local/bin/nginx',
  ]) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** @param {string} dir @param {number} port @param {number} backendPort */
function config(dir, port, backendPort) {
  const user = process.getuid?.() === 0 ? 'user root root;\n' : '';
  return `${user}worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream backend {
    server 127.0.0.1:${backendPort};
    keepalive 32;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_cache off;
      proxy_read_timeout 300s;
    }
  }
}
`;
}

/** @param {number} port */
function accepts(port) {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (/** @type {boolean} */ ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Starts nginx in front of `127.0.0.1:backendPort`, or returns `{ skipped }` saying why it cannot.
 * @param {number} backendPort
 * @returns {Promise<{ port: number, url: (path: string) => string, version: string, close: () => Promise<void> } | { skipped: string }>}
 */
export async function startNginx(backendPort) {
  const nginx = findNginx();
  if (nginx === undefined) return { skipped: 'nginx is not installed (Debian: apt-get install -y nginx)' };
  const version = spawnSync(nginx, ['-v'], { encoding: 'utf8' })
    .stderr.trim()
    .replace(/^nginx version: /, '');
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-soak-nginx-'));
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, config(dir, port, backendPort));
  // -e: the error log before the configuration is read (the compiled-in one is under /var/log).
  const child = spawn(nginx, ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')], {
    stdio: ['ignore', 'ignore', 'pipe'],
    // Its own process group, so a Ctrl-C meant for the soak does not stop it mid-run.
    detached: true,
  });
  if (child.pid === undefined) return { skipped: `nginx could not be spawned (${nginx})` };
  const pid = child.pid;
  remember(pid);
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr = (stderr + String(chunk)).slice(-2000);
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const close = async () => {
    // SIGQUIT is nginx's graceful stop; the workers exit with the master.
    killQuietly(pid, 'SIGQUIT');
    const timer = setTimeout(() => killQuietly(pid, 'SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    forget(pid);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const log = (() => {
        try {
          return readFileSync(join(dir, 'error.log'), 'utf8').slice(-1000);
        } catch {
          return '';
        }
      })();
      await close();
      return { skipped: `nginx did not start: ${(stderr + log).trim().slice(0, 500)}` };
    }
    await sleep(25);
  }
  return { port, url: (path) => `http://127.0.0.1:${port}${path}`, version, close };
}
