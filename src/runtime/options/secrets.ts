/**
 * Which configured environment values are secrets: they are kept out of logs, errors and
 * snapshots (see docs/security.md).
 */

/** Names that mark an environment variable as a credential whatever its value looks like. */
const SECRET_NAME = /KEY|TOKEN|SECRET|PASS|PWD|AUTH|CRED|PRIVATE|SESSION|COOKIE|SIGNATURE|CERT/i;

/**
 * The environment values to keep out of logs: every value of a credential-like name (3+
 * characters), and every other value of 8+ characters. Short ordinary values (`true`, `prod`,
 * a port number) stay readable in logs.
 */
export function secretValues(env: Readonly<Record<string, string>>): string[] {
  const secrets: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (typeof value !== 'string') continue;
    if (value.length >= 8 || (value.length >= 3 && SECRET_NAME.test(name))) secrets.push(value);
  }
  // Longest first, so a secret that contains another is replaced whole.
  return secrets.sort((a, b) => b.length - a.length);
}
