/**
 * The connection actor of one transport: the one connection machine, given the link and the
 * runtime's hooks through its input (not `provide()`: one machine for every connection, see
 * `ConnectionHooks`), started as a root actor of its own or spawned by a supervisor.
 */

import { type Actor, createActor } from 'xstate';
import {
  type ConnectionHooks,
  type ConnectionInput,
  type ConnectionMachine,
  connectionMachine,
} from '../../machines/connection.js';
import type { CommonConfig, ResolvedConfig } from '../options/resolve.js';
import type { ActorHost } from '../transport-types.js';

/** What the actor is made from. */
export interface ConnectionActorOptions {
  policy: ResolvedConfig['policy'];
  /** The configuration's `seed`, `clock` and `inspect`. */
  config: Pick<CommonConfig, 'seed' | 'clock' | 'inspect'>;
  hooks: ConnectionHooks;
  /** The supervisor that spawns it as a child; undefined: a root actor. */
  host: ActorHost | undefined;
}

/** Creates the connection actor (the caller starts it), or has the host spawn it (a child runs at once). */
export function createConnectionActor(options: ConnectionActorOptions): Actor<ConnectionMachine> {
  const { policy, config, hooks, host } = options;
  const input: ConnectionInput =
    config.seed === undefined ? { policy, hooks } : { policy, seed: config.seed, hooks };
  if (host !== undefined) return host.spawn(connectionMachine, input);
  const actorOptions: Parameters<typeof createActor<ConnectionMachine>>[1] = { input };
  if (config.clock !== undefined) actorOptions.clock = config.clock as NonNullable<typeof actorOptions.clock>;
  if (config.inspect !== undefined) actorOptions.inspect = config.inspect;
  return createActor(connectionMachine, actorOptions);
}
