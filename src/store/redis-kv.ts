import { createHash } from "node:crypto";
import type { RedisLink } from "./redis-link.ts";
import { type KeyValuePort, type KvCounter, type KvEntry, type KvSetOptions, checkKv, listLimit } from "./kv.ts";

/**
 * The key-value port on Redis. A record is a string key `<p>:kv:<ns>:<key>` with
 * Redis's own expiry; each namespace keeps an index (sorted set `<p>:kvi:<ns>`, scored
 * by expiry time) so kvList needs no SCAN. Every write is one script, so the record
 * and its index change together; all keys carry the shop's prefix (its hash tag on a
 * cluster), so the scripts run on one slot.
 */
const NOW = "local t = redis.call('TIME'); local now = t[1] * 1000 + math.floor(t[2] / 1000)\n";

const SCRIPTS = {
  // KEYS: record, index. ARGV: value, ttl ms or "", ifAbsent "1"/"0", member
  set: `if ARGV[3] == '1' and redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
${NOW}if ARGV[2] ~= '' then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[4])
else
  redis.call('SET', KEYS[1], ARGV[1])
  redis.call('ZADD', KEYS[2], 'inf', ARGV[4])
end
return 1`,
  // KEYS: record, index. ARGV: member
  del: `local n = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return n`,
  take: `local v = redis.call('GET', KEYS[1])
if v then redis.call('DEL', KEYS[1]) end
redis.call('ZREM', KEYS[2], ARGV[1])
return v`,
  // KEYS: record, index. ARGV: by, ttl ms (0: none), member
  incr: `local existed = redis.call('EXISTS', KEYS[1])
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if existed == 0 then
  ${NOW}  local ttl = tonumber(ARGV[2])
  if ttl > 0 then
    redis.call('PEXPIRE', KEYS[1], ttl)
    redis.call('ZADD', KEYS[2], now + ttl, ARGV[3])
  else
    redis.call('ZADD', KEYS[2], 'inf', ARGV[3])
  end
end
return {v, redis.call('PTTL', KEYS[1])}`,
  // KEYS: index. ARGV: record key prefix. Drops expired index entries, answers key, value pairs
  list: `${NOW}redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local out = {}
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local v = redis.call('GET', ARGV[1] .. m)
  if v then out[#out + 1] = m; out[#out + 1] = v end
end
return out`,
} as const;
type Script = keyof typeof SCRIPTS;

const SHAS = Object.fromEntries(
  Object.entries(SCRIPTS).map(([name, src]) => [name, createHash("sha1").update(src).digest("hex")]),
) as Record<Script, string>;

export class RedisKv implements KeyValuePort {
  constructor(
    private readonly link: RedisLink,
    private readonly prefix: string,
  ) {}

  private record(ns: string, key: string): string {
    return `${this.prefix}:kv:${ns}:${key}`;
  }
  private index(ns: string): string {
    return `${this.prefix}:kvi:${ns}`;
  }

  private async run(name: Script, keys: string[], args: string[]): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await this.link.send(["EVALSHA", SHAS[name], ...tail]);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith("NOSCRIPT")) throw err;
      return this.link.send(["EVAL", SCRIPTS[name], ...tail]);
    }
  }

  async kvGet(ns: string, key: string): Promise<string | null> {
    checkKv(ns, key);
    const v = await this.link.send(["GET", this.record(ns, key)]);
    return typeof v === "string" ? v : null;
  }

  async kvSet(ns: string, key: string, value: string, opts: KvSetOptions = {}): Promise<boolean> {
    checkKv(ns, key, opts.ttlMs);
    const ttl = opts.ttlMs ? String(opts.ttlMs) : "";
    const wrote = await this.run("set", [this.record(ns, key), this.index(ns)], [value, ttl, opts.ifAbsent ? "1" : "0", key]);
    return Number(wrote) === 1;
  }

  async kvDelete(ns: string, key: string): Promise<boolean> {
    checkKv(ns, key);
    return Number(await this.run("del", [this.record(ns, key), this.index(ns)], [key])) === 1;
  }

  async kvTake(ns: string, key: string): Promise<string | null> {
    checkKv(ns, key);
    const v = await this.run("take", [this.record(ns, key), this.index(ns)], [key]);
    return typeof v === "string" ? v : null;
  }

  async kvIncr(ns: string, key: string, by = 1, ttlMs?: number): Promise<KvCounter> {
    checkKv(ns, key, ttlMs, by);
    const [value, pttl] = (await this.run("incr", [this.record(ns, key), this.index(ns)], [String(by), String(ttlMs ?? 0), key])) as [number, number];
    return { value: Number(value), ttlMs: Number(pttl) >= 0 ? Number(pttl) : null };
  }

  async kvList(ns: string, limit?: number): Promise<KvEntry[]> {
    checkKv(ns);
    const flat = (await this.run("list", [this.index(ns)], [`${this.prefix}:kv:${ns}:`])) as string[];
    const out: KvEntry[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push({ key: String(flat[i]), value: String(flat[i + 1]) });
    out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return out.slice(0, listLimit(limit));
  }
}
