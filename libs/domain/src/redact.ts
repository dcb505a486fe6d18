export const REDACTED = '[REDACTED]';

/**
 * Deep copy of `args` with the values at the given dot-paths replaced by "[REDACTED]". A `*` segment matches any
 * key or array element; a numeric segment also addresses an array element. Missing paths are ignored.
 */
export function redactArgs(args: Record<string, unknown>, sensitivePaths: readonly string[]): Record<string, unknown> {
  const copy = deepCopy(args) as Record<string, unknown>;
  for (const path of sensitivePaths) {
    if (path.length > 0) {
      redactPath(copy, path.split('.'), 0);
    }
  }
  return copy;
}

function redactPath(node: unknown, segments: readonly string[], index: number): void {
  if (node === null || typeof node !== 'object') {
    return;
  }
  const segment = segments[index];
  const last = index === segments.length - 1;
  const container = node as Record<string, unknown>;
  const keys = segment === '*' ? Object.keys(container) : Object.prototype.hasOwnProperty.call(container, segment) ? [segment] : [];
  for (const key of keys) {
    if (last) {
      container[key] = REDACTED;
    } else {
      redactPath(container[key], segments, index + 1);
    }
  }
}

function deepCopy(value: unknown): unknown {
  if (value === null || typeof value !== 'object') {
    return value;
  }
  if (Array.isArray(value)) {
    return value.map(deepCopy);
  }
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    // defineProperty keeps a "__proto__" key an own data property instead of replacing the prototype.
    Object.defineProperty(copy, key, {
      value: deepCopy((value as Record<string, unknown>)[key]),
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
  return copy;
}
