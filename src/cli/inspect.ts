/**
 * `lifeline inspect`: a live page on 127.0.0.1 of every running agent's connections (through
 * their control sockets), or of a journal file (`--replay`), that also receives the
 * `@statelyai/inspect` protocol. Runs until Ctrl-C, SIGTERM or `--duration`.
 */

import { spawn } from 'node:child_process';
import { connectionMachine } from '../machines/connection.js';
import { toGraph } from '../machines/diagram.js';
import { findAgents } from '../observe/control/client.js';
import { InspectHub } from '../observe/inspect/hub.js';
import { followAgents } from '../observe/inspect/live.js';
import { replayJournal } from '../observe/inspect/replay.js';
import { startInspectServer } from '../observe/inspect/server.js';
import { type Command, EXIT_OK, parseCommandArgs, UsageError, wholeNumber } from './args.js';
import { formatMs } from './output.js';

const usage = [
  'Usage: lifeline inspect [--attach PID|NAME] [--port N] [--no-open] [--duration MS]',
  '       lifeline inspect --replay FILE [--port N] [--no-open]',
  '',
  "Serves a live page on 127.0.0.1 of the running agents' connections (processes that publish",
  "them on a control socket, as lifeline bridge does): each connection's statechart with its",
  'state lit, attempt, next retry, last error, heartbeat round trip, counters, a timeline of its',
  'states and its event log, updated as they change. The page works offline: every asset ships',
  'in the package.',
  '',
  'The page also receives the XState inspector protocol: point',
  "@statelyai/inspect's createWebSocketInspector({ url: 'ws://127.0.0.1:PORT' }) at it to see",
  'any XState actor of yours there.',
  '',
  'Options:',
  '  --attach PID|NAME  Show only the running agent with this pid or name (default: every one,',
  '                     including those that start later)',
  '  --replay FILE      Show a journal file (journal.file) instead of running agents',
  '  --port N           Listen on this port (default: a free one)',
  '  --no-open          Do not open the browser; only print the address',
  '  --duration MS      Stop by itself after this long (default: run until interrupted)',
  '  -h, --help         Show this help',
  '',
  'Exit codes: 0 stopped, 1 failure (the port is taken, the file cannot be read), 2 usage error.',
  '',
].join('\n');

/** Opens the address in the desktop's browser; false when there is no way to. */
function openBrowser(url: string): Promise<boolean> {
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.once('error', () => resolve(false));
    child.once('spawn', () => {
      child.unref();
      resolve(true);
    });
  });
}

export const inspectCommand: Command = {
  name: 'inspect',
  summary: "A live page of the running agents' connections (or a journal file), offline",
  usage,
  run: async (argv) => {
    const args = parseCommandArgs(argv, {
      attach: { type: 'string' },
      replay: { type: 'string' },
      port: { type: 'string' },
      'no-open': { type: 'boolean' },
      duration: { type: 'string' },
    });
    if (args.help) {
      process.stdout.write(usage);
      return EXIT_OK;
    }
    const port = wholeNumber(args.values.port, 'port', 0);
    if (port > 65535) throw new UsageError(`--port must be at most 65535, got ${port}`);
    const durationMs = wholeNumber(args.values.duration, 'duration', Number.POSITIVE_INFINITY);
    const replay = args.values.replay as string | undefined;
    const attach = args.values.attach as string | undefined;
    if (replay !== undefined && attach !== undefined)
      throw new UsageError('--replay shows a file; --attach follows a running agent: give one of them');

    const say = (line: string): void => {
      process.stderr.write(`lifeline inspect: ${line}\n`);
    };
    const hub = new InspectHub({
      mode: replay === undefined ? 'live' : 'replay',
      ...(replay === undefined ? {} : { source: replay }),
      lifecycle: toGraph(connectionMachine),
    });
    let follower: { stop(): void } | undefined;
    if (replay !== undefined) {
      const read = await replayJournal(hub, replay);
      const span =
        read.entries === 0
          ? ''
          : `, ${formatMs(read.to - read.from)} from ${new Date(read.from).toISOString()}`;
      say(
        `${replay}: ${read.entries} entries of ${read.connections} connection(s)${span}` +
          (read.skipped > 0 ? `; ${read.skipped} line(s) that are not journal entries skipped` : ''),
      );
    } else {
      const wanted = attach === undefined ? undefined : new Set(findAgents(attach).map((agent) => agent.pid));
      if (wanted !== undefined && wanted.size === 0)
        throw new Error(`no running agent has the pid or name ${JSON.stringify(attach)}`);
      follower = followAgents(hub, {
        ...(wanted === undefined ? {} : { only: (agent) => wanted.has(agent.pid) }),
        onAgent: (event, agent, detail) =>
          say(
            `${event === 'attached' ? 'following' : 'ended:'} agent ${agent.pid} (${agent.name})${detail === undefined ? '' : `: ${detail}`}`,
          ),
      });
    }

    const server = await startInspectServer(hub, { port });
    // The address on stdout, alone, for scripts; the rest on stderr.
    process.stdout.write(`${server.url}\n`);
    if (replay === undefined && hub.agentCount === 0)
      say(
        'no agent is running yet; the page shows each one as it starts (control: true, LIFELINE_CONTROL=1, lifeline bridge)',
      );
    if (args.values['no-open'] !== true && !(await openBrowser(server.url)))
      say(`open ${server.url} in your browser`);
    say('Ctrl-C to stop');

    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
      if (Number.isFinite(durationMs)) setTimeout(resolve, durationMs).unref();
    });
    follower?.stop();
    hub.close();
    await server.close();
    return EXIT_OK;
  },
};
