import fc from "fast-check";

/**
 * Bodies from outside: arbitrary JSON, arbitrary text and bytes, and mutations of a
 * valid body (a character flipped, a span cut or doubled, junk inserted, a value
 * somewhere replaced by anything), which reach deeper than random input does.
 */
export const junkText = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: "grapheme", maxLength: 100 }),
  fc.constantFrom("", "{", "[]", "null", "0", '"x"', "{}", '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}', "\u0000", "\ud800", "9".repeat(400)),
);

export const junkJson = fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v));

export const junkBytes = fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString("latin1"));

export const anyBody = fc.oneof(junkText, junkJson, junkBytes);

/** replaces the value at a random place in a JSON tree */
function replaceSomewhere(tree: unknown, pick: number, value: unknown): unknown {
  let seen = 0;
  const walk = (node: unknown): unknown => {
    if (seen++ === pick) return value;
    if (Array.isArray(node)) return node.map(walk);
    if (node && typeof node === "object") return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v)]));
    return node;
  };
  return walk(tree);
}

export type Mutation =
  | { kind: "flip"; at: number; ch: string }
  | { kind: "cut"; at: number; len: number }
  | { kind: "double"; at: number; len: number }
  | { kind: "insert"; at: number; text: string }
  | { kind: "value"; at: number; value: unknown };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), ch: fc.string({ minLength: 1, maxLength: 1 }) }),
  fc.record({ kind: fc.constant("cut" as const), at: fc.nat(), len: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant("double" as const), at: fc.nat(), len: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), text: junkText }),
  fc.record({ kind: fc.constant("value" as const), at: fc.nat({ max: 60 }), value: fc.oneof(fc.anything({ maxDepth: 2 }), fc.constantFrom(null, -1, 2 ** 53, "", [], {}, "0".repeat(300))) }),
);

export function mutate(json: string, m: Mutation): string {
  const at = json.length === 0 ? 0 : m.at % json.length;
  switch (m.kind) {
    case "flip":
      return json.slice(0, at) + m.ch + json.slice(at + 1);
    case "cut":
      return json.slice(0, at) + json.slice(at + m.len);
    case "double":
      return json.slice(0, at + m.len) + json.slice(at, at + m.len) + json.slice(at + m.len);
    case "insert":
      return json.slice(0, at) + m.text + json.slice(at);
    case "value":
      try {
        return JSON.stringify(replaceSomewhere(JSON.parse(json), m.at, m.value)) ?? json;
      } catch {
        return json;
      }
  }
}
