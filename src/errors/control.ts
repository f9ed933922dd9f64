/** The error of the control socket, which publishes a process's connections (src/observe/control/). */

import { hasBrand, LifelineError, type LifelineErrorOptions } from './base.js';
import { ErrorCode } from './codes.js';

const kControlError = Symbol.for('mcp-lifeline.error.ControlError');

/**
 * The control socket cannot be used (`LIFELINE_ERR_CONTROL`): its folder is not private, no
 * agent of that pid or name runs, or an agent answered outside the protocol
 * (docs/observability.md). Publishing connections never fails a connection: a process whose
 * socket cannot be made only logs this.
 */
export class ControlError extends LifelineError {
  override name = 'ControlError';
  declare readonly code: typeof ErrorCode.Control;

  constructor(message: string, options: LifelineErrorOptions = {}) {
    super(ErrorCode.Control, message, options);
  }

  get [kControlError](): true {
    return true;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, kControlError);
  }
}
