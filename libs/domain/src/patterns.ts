/**
 * Action-type patterns: an exact type ("payments.transfer") or a glob where `*` matches any run of characters,
 * dots included ("email.*" matches "email.bulk.send"; "*" matches everything).
 */
export type PatternMatcher = (type: string) => boolean;

export function compilePattern(pattern: string): PatternMatcher {
  if (!pattern.includes('*')) {
    return (type) => type === pattern;
  }
  const parts = pattern.split('*');
  const prefix = parts[0];
  const suffix = parts[parts.length - 1];
  const middle = parts.slice(1, -1).filter((part) => part.length > 0);
  const minimumLength = prefix.length + suffix.length + middle.reduce((sum, part) => sum + part.length, 0);
  if (middle.length === 0) {
    return (type) => type.length >= minimumLength && type.startsWith(prefix) && type.endsWith(suffix);
  }
  return (type) => {
    if (type.length < minimumLength || !type.startsWith(prefix) || !type.endsWith(suffix)) {
      return false;
    }
    // Leftmost matching of each middle part is optimal for `*`-only globs.
    let position = prefix.length;
    const end = type.length - suffix.length;
    for (const part of middle) {
      const found = type.indexOf(part, position);
      if (found < 0 || found + part.length > end) {
        return false;
      }
      position = found + part.length;
    }
    return true;
  };
}

const matcherCache = new Map<string, PatternMatcher>();
const MATCHER_CACHE_LIMIT = 10_000;

export function matchesPattern(pattern: string, type: string): boolean {
  let matcher = matcherCache.get(pattern);
  if (matcher === undefined) {
    if (matcherCache.size >= MATCHER_CACHE_LIMIT) {
      matcherCache.clear();
    }
    matcher = compilePattern(pattern);
    matcherCache.set(pattern, matcher);
  }
  return matcher(type);
}

export function matchesAny(patterns: readonly string[], type: string): boolean {
  for (const pattern of patterns) {
    if (matchesPattern(pattern, type)) {
      return true;
    }
  }
  return false;
}

const EXACT_BONUS = 1_000_000;

/**
 * Higher is more specific: an exact type beats every glob; among globs, more literal characters win, then fewer
 * wildcards. Equal scores are left to the caller (the taxonomy keeps declaration order).
 */
export function patternSpecificity(pattern: string): number {
  let wildcards = 0;
  for (const char of pattern) {
    if (char === '*') wildcards++;
  }
  if (wildcards === 0) {
    return EXACT_BONUS + pattern.length;
  }
  return (pattern.length - wildcards) * 100 - Math.min(wildcards, 99);
}
