/**
 * A deep copy of stored state (conversation, contact, orders), so a step never changes
 * its input and can be replayed. That state is plain data — what the store reads back
 * from JSON — and copying plain objects and arrays directly is several times cheaper
 * than structuredClone's serialise-and-rebuild. Anything else (a Date, a Map…) still
 * goes through structuredClone; like JSON, shared references become separate copies.
 */
export function cloneData<T>(value: T): T {
  return copy(value) as T;
}

function copy(value: unknown): unknown {
  if (value === null || typeof value !== "object") {
    // structuredClone refuses functions; so does this
    return typeof value === "function" ? structuredClone(value) : value;
  }
  if (Array.isArray(value)) return value.map(copy);
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return structuredClone(value);
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(source)) {
    // an own "__proto__" key (JSON.parse can make one) must stay data, not become the prototype
    if (key === "__proto__") Object.defineProperty(out, key, { value: copy(source[key]), enumerable: true, writable: true, configurable: true });
    else out[key] = copy(source[key]);
  }
  return out;
}
