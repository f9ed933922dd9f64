/**
 * The `control` option: whether a process publishes its connections on a control socket
 * (docs/observability.md), and under which name. Off unless asked: `control: true` (or an
 * object), a config file's `lifeline.control`, or `LIFELINE_CONTROL=1` in the environment;
 * `control: false` wins over the environment. `lifeline bridge` turns it on by default.
 */

/** What `control` takes besides a boolean. */
export interface ControlOptions {
  /**
   * The name the socket carries beside the pid, for `--attach NAME` (letters, digits, `-`, `_`;
   * other characters become `-`). Default: the main script's name. The first connection of a
   * process to publish names its socket.
   */
  name?: string;
}

/** The control option, resolved: publishing is on, under this name (or the default). */
export interface ResolvedControl {
  name: string | undefined;
}

/** The environment variable that turns the control socket on for every connection of a process. */
export const CONTROL_ENV = 'LIFELINE_CONTROL';

/**
 * Checks `control` and reads {@link CONTROL_ENV} when it is absent. Returns undefined when
 * publishing is off.
 */
export function resolveControl(
  value: unknown,
  problems: string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): ResolvedControl | undefined {
  if (value === undefined) {
    const flag = env[CONTROL_ENV];
    return flag === '1' || flag === 'true' ? { name: undefined } : undefined;
  }
  if (value === false) return undefined;
  if (value === true) return { name: undefined };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push('control: expected true, false or an object { name }');
    return undefined;
  }
  const { name } = value as ControlOptions;
  if (name !== undefined && (typeof name !== 'string' || name === ''))
    problems.push('control.name: expected a non-empty string');
  return { name: typeof name === 'string' && name !== '' ? name : undefined };
}
