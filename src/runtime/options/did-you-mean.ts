/**
 * "Did you mean …?" for a misspelled key: the closest of the keys that are allowed, when it is
 * close enough to be a slip of the keyboard rather than a different word.
 */

/**
 * The number of single-character insertions, deletions, substitutions and swaps of two
 * neighbours that turn `a` into `b` (optimal string alignment distance). A swap counts as one
 * edit because `lmiits` is one slip, not two.
 */
export function editDistance(a: string, b: string): number {
  // Three rows suffice: a swap looks two rows back.
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, (before[j - 2] as number) + 1);
      current.push(best);
    }
    before = previous;
    previous = current;
  }
  return previous[b.length] as number;
}

/**
 * The candidate `word` most likely meant, or undefined when none is close. Case is ignored
 * (`maxattempts` means `maxAttempts`). Close means at most one edit per three characters of
 * `word`, at least one: `comand` and `connect` (for `connectMs`) qualify, while a short word
 * such as `env` is not read as some other short key. Failing that, the one candidate that
 * begins with `word` (at least four characters), as `memoryBytes` for `memory`. Ties go to the
 * earlier candidate.
 *
 * @example
 * ```ts
 * closest('initalDelayMs', ['initialDelayMs', 'multiplier']); // 'initialDelayMs'
 * closest('retry', ['initialDelayMs', 'multiplier']);         // undefined
 * ```
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const limit = Math.max(1, Math.floor(word.length / 3));
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best !== undefined || word.length < 4) return best;
  // A unit left off (`memory` for `memoryBytes`) is too many edits away, yet unmistakable when
  // one candidate alone starts with the word.
  const longer = candidates.filter((candidate) => candidate.toLowerCase().startsWith(lower));
  return longer.length === 1 ? longer[0] : undefined;
}
