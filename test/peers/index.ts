// Real MCP servers as child processes on loopback ports, for tests of the HTTP and WebSocket transports:
// start one, run a client against `peer.url`, `kill()` and `restart()` it on the same port, and call
// `stopAll()` in afterEach.

export {
  type ChildPeer,
  freePort,
  launch,
  type Peer,
  type PeerSpec,
  PortInUseError,
  stopAll,
} from './peer.js';
export {
  type LegacyStatefulOptions,
  type SupergatewayOptions,
  startEverything,
  startLegacySse,
  startLegacyStateful,
  startSupergateway,
  startV2Http,
  startWsFixture,
  type V2HttpOptions,
  type WsFixtureOptions,
} from './servers.js';
