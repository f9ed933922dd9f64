// Real MCP HTTP servers as child processes on loopback ports, for tests of the HTTP transports:
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
  type V2HttpOptions,
} from './servers.js';
