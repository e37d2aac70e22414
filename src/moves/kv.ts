import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

/**
 * The part of the store's key-value port (src/store/kv.ts: kvGet/kvSet/kvTake) that the
 * MAX polling marker and the one-time move codes use. Both stores have it; until a
 * store does, a small JSON file in DATA_DIR stands in (one process only), so a marker
 * still survives a restart.
 */
export interface SmallKv {
  kvGet(ns: string, key: string): Promise<string | null>;
  kvSet(ns: string, key: string, value: string, opts?: { ttlMs?: number; ifAbsent?: boolean }): Promise<boolean>;
  kvTake(ns: string, key: string): Promise<string | null>;
  kvDelete(ns: string, key: string): Promise<boolean>;
}

function hasKv(store: object): store is SmallKv {
  const s = store as Partial<SmallKv>;
  return typeof s.kvGet === "function" && typeof s.kvSet === "function" && typeof s.kvTake === "function" && typeof s.kvDelete === "function";
}

export function kvOf(store: object, dataDir: string, now: () => number = Date.now): SmallKv {
  return hasKv(store) ? store : new FileKv(join(dataDir, "kv-fallback.json"), now);
}

const Entries = z.record(z.string(), z.object({ v: z.string(), exp: z.number().nullable() }));

class FileKv implements SmallKv {
  private entries: z.infer<typeof Entries>;
  constructor(
    private readonly path: string,
    private readonly now: () => number,
  ) {
    let parsed: z.infer<typeof Entries> = {};
    try {
      parsed = Entries.parse(JSON.parse(readFileSync(path, "utf8")));
    } catch {
      // no file yet (or a torn one): start empty
    }
    this.entries = parsed;
  }
  private id = (ns: string, key: string) => `${ns}\u0000${key}`;
  private live(id: string) {
    const e = this.entries[id];
    if (e && e.exp !== null && e.exp <= this.now()) {
      delete this.entries[id];
      return undefined;
    }
    return e;
  }
  private flush(): void {
    mkdirSync(join(this.path, ".."), { recursive: true });
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.entries));
    renameSync(tmp, this.path);
  }
  async kvGet(ns: string, key: string) {
    return this.live(this.id(ns, key))?.v ?? null;
  }
  async kvSet(ns: string, key: string, value: string, opts: { ttlMs?: number; ifAbsent?: boolean } = {}) {
    const id = this.id(ns, key);
    if (opts.ifAbsent && this.live(id)) return false;
    this.entries[id] = { v: value, exp: opts.ttlMs ? this.now() + opts.ttlMs : null };
    this.flush();
    return true;
  }
  async kvTake(ns: string, key: string) {
    const id = this.id(ns, key);
    const e = this.live(id);
    if (!e) return null;
    delete this.entries[id];
    this.flush();
    return e.v;
  }
  async kvDelete(ns: string, key: string) {
    const id = this.id(ns, key);
    const had = this.live(id) !== undefined;
    delete this.entries[id];
    if (had) this.flush();
    return had;
  }
}
