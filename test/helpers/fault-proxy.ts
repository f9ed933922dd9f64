/**
 * A fault-injecting TCP proxy for loopback tests: real sockets between a client and an upstream server,
 * with switches to cut, reset, stall, slow down or refuse the traffic, and a one-shot trigger that cuts a
 * single connection when a chosen byte pattern passes through. Transport-agnostic (HTTP, SSE, WebSocket).
 */

import { type AddressInfo, createServer, connect as netConnect, type Socket } from 'node:net';

/** `'up'` is client to server, `'down'` is server to client. */
export type Direction = 'up' | 'down';

/** How a connection is ended: `'cut'` sends FIN then destroys, `'reset'` sends RST. */
export type CutMode = 'cut' | 'reset';

/**
 * Decides whether a forwarded chunk fires a {@link FaultProxy.cutWhen} trigger. `seen` is every byte
 * forwarded so far in that direction of that connection (this chunk included) as latin1, keeping only the
 * last 64 KiB.
 */
export type ChunkPredicate = (chunk: Buffer, direction: Direction, seen: string) => boolean;

/** A running proxy on 127.0.0.1; see {@link startFaultProxy}. */
export interface FaultProxy {
  /** The listening port on {@link FaultProxy.host}. */
  readonly port: number;
  /** Always `'127.0.0.1'`. */
  readonly host: string;
  /** `scheme://127.0.0.1:PORT` followed by `path`, e.g. `url('/mcp')` or `url('/ws', 'ws')`. */
  url(path?: string, scheme?: 'http' | 'ws'): string;
  /** Client connections open now. */
  readonly connections: number;
  /** Client connections accepted since start, refused ones included. */
  readonly accepted: number;
  /** Client connections destroyed on arrival because {@link FaultProxy.refuse} was on. */
  readonly refused: number;
  /** Ends every live connection on both sides: FIN, then destroy. */
  cut(): void;
  /** Resets every live connection on both sides (RST). */
  reset(): void;
  /** Stops forwarding in both directions and pauses reading; sockets stay open until {@link FaultProxy.resume}. */
  stall(): void;
  /** Undoes {@link FaultProxy.stall}: held data is delivered in order. */
  resume(): void;
  /** Holds every chunk received from now on for `ms` before forwarding it, order preserved (0 turns it off). */
  delay(ms: number): void;
  /** While on, new connections are reset at once; the port stays taken, existing connections are untouched. */
  refuse(on: boolean): void;
  /**
   * Arms a one-shot trigger: the first forwarded chunk (any connection, either direction) that satisfies
   * `predicate` is forwarded, then that connection alone is cut or reset. Resolves once it fired; rejects
   * if the predicate throws; never settles if nothing matches.
   *
   * @example
   * const fired = proxy.cutWhen((_chunk, dir, seen) => dir === 'down' && seen.includes('event: message'));
   */
  cutWhen(predicate: ChunkPredicate, mode?: CutMode): Promise<void>;
  /** Sends future connections to another upstream; live ones keep theirs. `host` defaults to 127.0.0.1. */
  retarget(port: number, host?: string): void;
  /** Closes the listener and every socket; resolves once all of them have closed. Safe to call twice. */
  close(): Promise<void>;
}

interface Lane {
  readonly direction: Direction;
  readonly from: Socket;
  readonly to: Socket;
  /** `null` stands for the FIN, so it is delivered after the data ahead of it. */
  readonly queue: Array<{ chunk: Buffer | null; due: number }>;
  seen: string;
  blocked: boolean;
  timer: NodeJS.Timeout | undefined;
}

interface Link {
  readonly client: Socket;
  readonly upstream: Socket;
  readonly lanes: readonly [up: Lane, down: Lane];
  done: boolean;
}

interface Trigger {
  readonly predicate: ChunkPredicate;
  readonly mode: CutMode;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

const HOST = '127.0.0.1';
const SEEN_CAP = 64 * 1024;
/** How long a cut socket may take to flush its FIN before it is destroyed anyway. */
const CUT_GRACE_MS = 1000;

function ignoreError(): void {}

function resetSocket(socket: Socket): void {
  if (socket.destroyed) return;
  // resetAndDestroy() on a socket still connecting waits for the connect; there is nothing to reset yet.
  if (socket.connecting) socket.destroy();
  else socket.resetAndDestroy();
}

function cutSocket(socket: Socket): void {
  if (socket.destroyed) return;
  // Unread bytes at close make the kernel send RST instead of FIN: keep reading (and dropping) them.
  socket.resume();
  const timer = setTimeout(() => socket.destroy(), CUT_GRACE_MS);
  socket.once('close', () => clearTimeout(timer));
  socket.end(() => socket.destroy());
}

function newLane(direction: Direction, from: Socket, to: Socket): Lane {
  return { direction, from, to, queue: [], seen: '', blocked: false, timer: undefined };
}

/**
 * Starts a proxy on 127.0.0.1 (a free port) forwarding every connection to `target`.
 *
 * @example
 * const proxy = await startFaultProxy({ port: server.address().port });
 * await request(proxy.url('/mcp'));
 * proxy.reset();
 * await proxy.close();
 */
export async function startFaultProxy(target: { port: number; host?: string }): Promise<FaultProxy> {
  let upstreamPort = target.port;
  let upstreamHost = target.host ?? HOST;
  let stalled = false;
  let refusing = false;
  let latency = 0;
  let accepted = 0;
  let refused = 0;
  const links = new Set<Link>();
  const sockets = new Set<Socket>();
  const triggers = new Set<Trigger>();

  function track(socket: Socket): void {
    sockets.add(socket);
    socket.on('error', ignoreError);
    socket.once('close', () => sockets.delete(socket));
  }

  function flow(link: Link): void {
    if (link.done) return;
    for (const lane of link.lanes) {
      if (stalled || lane.blocked) lane.from.pause();
      else lane.from.resume();
    }
  }

  function halt(link: Link): void {
    link.done = true;
    for (const lane of link.lanes) {
      clearTimeout(lane.timer);
      lane.timer = undefined;
      lane.queue.length = 0;
    }
  }

  function kill(link: Link, mode: CutMode): void {
    for (const socket of [link.client, link.upstream]) (mode === 'reset' ? resetSocket : cutSocket)(socket);
  }

  function stop(link: Link, mode: CutMode): void {
    if (link.done) return;
    halt(link);
    kill(link, mode);
  }

  function matchTrigger(chunk: Buffer, lane: Lane): Trigger | undefined {
    for (const trigger of triggers) {
      let hit: boolean;
      try {
        hit = trigger.predicate(chunk, lane.direction, lane.seen);
      } catch (error) {
        triggers.delete(trigger);
        trigger.reject(error);
        continue;
      }
      if (hit) {
        triggers.delete(trigger);
        return trigger;
      }
    }
    return undefined;
  }

  function forward(link: Link, lane: Lane, chunk: Buffer): void {
    lane.seen = (lane.seen + chunk.toString('latin1')).slice(-SEEN_CAP);
    const trigger = matchTrigger(chunk, lane);
    if (trigger !== undefined) {
      halt(link);
      // A reset discards what is still in libuv's write queue, so it waits until the chunk has left.
      lane.to.write(chunk, () => trigger.mode === 'reset' && kill(link, 'reset'));
      if (trigger.mode === 'cut') kill(link, 'cut');
      trigger.resolve();
      return;
    }
    if (!lane.to.write(chunk)) {
      lane.blocked = true;
      flow(link);
      lane.to.once('drain', () => {
        lane.blocked = false;
        flow(link);
        pump(link, lane);
      });
    }
  }

  function pump(link: Link, lane: Lane): void {
    while (!link.done && !stalled && !lane.blocked && lane.timer === undefined) {
      const head = lane.queue[0];
      if (head === undefined) return;
      const wait = head.due - Date.now();
      if (wait > 0) {
        lane.timer = setTimeout(() => {
          lane.timer = undefined;
          pump(link, lane);
        }, wait);
        return;
      }
      lane.queue.shift();
      if (head.chunk === null) lane.to.end();
      else forward(link, lane, head.chunk);
    }
  }

  function enqueue(link: Link, lane: Lane, chunk: Buffer | null): void {
    if (link.done) return;
    lane.queue.push({ chunk, due: Date.now() + latency });
    pump(link, lane);
  }

  function onClose(link: Link, socket: Socket, hadError: boolean): void {
    if (link.client.destroyed && link.upstream.destroyed) links.delete(link);
    // After a clean FIN the other lane drains on its own; an error or abrupt close is passed on as RST,
    // which is also how a dead upstream looks to the client.
    if (hadError || !socket.readableEnded) stop(link, 'reset');
  }

  function onConnection(client: Socket): void {
    accepted += 1;
    track(client);
    if (refusing) {
      refused += 1;
      resetSocket(client);
      return;
    }
    const upstream = netConnect({ port: upstreamPort, host: upstreamHost, allowHalfOpen: true });
    track(upstream);
    const lanes = [newLane('up', client, upstream), newLane('down', upstream, client)] as const;
    const link: Link = { client, upstream, lanes, done: false };
    links.add(link);
    for (const lane of lanes) {
      lane.from.on('data', (chunk: Buffer) => enqueue(link, lane, chunk));
      lane.from.on('end', () => enqueue(link, lane, null));
      lane.from.on('close', (hadError: boolean) => onClose(link, lane.from, hadError));
    }
    flow(link);
  }

  // pauseOnConnect: a stalled proxy must not read a byte from a new client until resume().
  const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, onConnection);
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, HOST, resolve));
  server.on('error', ignoreError);
  const { port } = server.address() as AddressInfo;

  const stopAll = (mode: CutMode): void => {
    for (const link of links) stop(link, mode);
  };

  return {
    port,
    host: HOST,
    url: (path = '', scheme = 'http') =>
      `${scheme}://${HOST}:${port}${path === '' || path.startsWith('/') ? path : `/${path}`}`,
    get connections() {
      let live = 0;
      for (const link of links) if (!link.client.destroyed) live += 1;
      return live;
    },
    get accepted() {
      return accepted;
    },
    get refused() {
      return refused;
    },
    cut: () => stopAll('cut'),
    reset: () => stopAll('reset'),
    stall() {
      stalled = true;
      for (const link of links) flow(link);
    },
    resume() {
      stalled = false;
      for (const link of links) {
        flow(link);
        for (const lane of link.lanes) pump(link, lane);
      }
    },
    delay(ms) {
      latency = Math.max(0, ms);
    },
    refuse(on) {
      refusing = on;
    },
    cutWhen: (predicate, mode = 'cut') =>
      new Promise<void>((resolve, reject) => triggers.add({ predicate, mode, resolve, reject })),
    retarget(nextPort, nextHost = HOST) {
      upstreamPort = nextPort;
      upstreamHost = nextHost;
    },
    async close() {
      refusing = true;
      const listenerClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      const socketsClosed = [...sockets].map((s) => new Promise<void>((resolve) => s.once('close', resolve)));
      stopAll('reset');
      for (const socket of sockets) socket.destroy();
      await Promise.all([listenerClosed, ...socketsClosed]);
    },
  };
}
