/**
 * Small checks on parsed JSON values, for problem lines that say what was found without
 * quoting it (a value may be a secret).
 */

/** Whether a value is a JSON object (not an array, not null). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What a value is, never what it holds: `an array`, `a number`, `an empty string`. */
export function kind(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === '') return 'an empty string';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
