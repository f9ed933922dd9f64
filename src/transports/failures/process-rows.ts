/** The failure table's rows for servers run as processes: stdio children and Docker containers. */

import { rows } from './rule.js';

const PERMANENT_SPAWN = 'The command cannot be started as configured; nothing was sent.';
const SHORTAGE = 'A resource shortage on this machine: it may pass.';

/** stdio: spawn errors and exits. */
export const STDIO_ROWS = rows('stdio', [
  [
    'spawn ENOENT',
    'permanent',
    'give-up',
    'no',
    false,
    'The command, or the working directory, does not exist.',
  ],
  ['spawn EACCES', 'permanent', 'give-up', 'no', false, 'The command is not executable.'],
  ['spawn ENOTDIR', 'permanent', 'give-up', 'no', false, PERMANENT_SPAWN],
  ['spawn EISDIR', 'permanent', 'give-up', 'no', false, PERMANENT_SPAWN],
  ['spawn ENAMETOOLONG', 'permanent', 'give-up', 'no', false, PERMANENT_SPAWN],
  ['spawn ELOOP', 'permanent', 'give-up', 'no', false, PERMANENT_SPAWN],
  ['spawn E2BIG', 'permanent', 'give-up', 'no', false, 'The arguments and environment are too large.'],
  ['spawn EINVAL', 'permanent', 'give-up', 'no', false, PERMANENT_SPAWN],
  ['spawn EAGAIN', 'link-down', 'reconnect', 'no', true, SHORTAGE],
  ['spawn EMFILE', 'link-down', 'reconnect', 'no', true, SHORTAGE],
  ['spawn ENFILE', 'link-down', 'reconnect', 'no', true, SHORTAGE],
  ['spawn ENOMEM', 'link-down', 'reconnect', 'no', true, SHORTAGE],
  ['spawn other', 'link-down', 'reconnect', 'no', true, 'Any other spawn failure.'],
  [
    'exit 0',
    'link-down',
    'reconnect',
    'maybe',
    true,
    'The server exited on its own; requests written to it fail with -32090.',
  ],
  [
    'exit 1-255',
    'link-down',
    'reconnect',
    'maybe',
    true,
    'The server exited with an error; the message quotes its last stderr lines.',
  ],
  [
    'killed by a signal',
    'link-down',
    'reconnect',
    'maybe',
    true,
    'SIGKILL (kill -9, the OOM killer), SIGTERM, or a crash (SIGSEGV, SIGABRT: stderr quoted).',
  ],
  [
    'EPIPE on stdin',
    'link-down',
    'reconnect',
    'maybe',
    true,
    'A write to a server that closed its stdin: that message fails (`LIFELINE_ERR_WRITE`); the exit that follows reconnects.',
  ],
]);

const ENGINE_GONE = 'The Docker Engine is not reachable (restarting?); nothing was created.';

/** Docker: the engine, the image, the container. */
export const DOCKER_ROWS = rows('docker', [
  ['engine ECONNREFUSED', 'link-down', 'reconnect', 'no', true, ENGINE_GONE],
  ['engine ENOENT', 'link-down', 'reconnect', 'no', true, `No socket. ${ENGINE_GONE}`],
  ['engine ECONNRESET', 'link-down', 'reconnect', 'no', true, ENGINE_GONE],
  ['engine EPIPE', 'link-down', 'reconnect', 'no', true, ENGINE_GONE],
  ['engine ETIMEDOUT', 'link-down', 'reconnect', 'no', true, ENGINE_GONE],
  ['engine EHOSTUNREACH', 'link-down', 'reconnect', 'no', true, ENGINE_GONE],
  ['engine ENOTFOUND', 'link-down', 'reconnect', 'no', true, ENGINE_GONE],
  ['engine EAI_AGAIN', 'link-down', 'reconnect', 'no', true, ENGINE_GONE],
  ['engine EACCES', 'permanent', 'give-up', 'no', false, "Permission denied on the engine's socket."],
  [
    'engine 4xx',
    'permanent',
    'give-up',
    'no',
    false,
    'The engine refused what we asked (a bad mount, an unknown network).',
  ],
  ['engine 5xx', 'link-down', 'reconnect', 'no', true, 'The engine failed; it may pass.'],
  [
    'image missing',
    'permanent',
    'give-up',
    'no',
    false,
    '`docker.pull` is `never`, or no registry has the image (or lets us have it).',
  ],
  [
    'dockerode missing',
    'permanent',
    'give-up',
    'no',
    false,
    'The optional peer dependency is not installed.',
  ],
  [
    'container exit',
    'link-down',
    'reconnect',
    'maybe',
    true,
    'The container exited (any code, any signal); requests written to it fail with -32090.',
  ],
  [
    'attach stream closed',
    'link-down',
    'reconnect',
    'maybe',
    true,
    'The attached stream ended and no exit code came within 500 ms.',
  ],
]);
