import { RESP_TYPES } from "redis";
import { STAGES } from "../model/domain.ts";
import type { Audience, StageKey } from "../model/domain.ts";
import type { StageColumns } from "./port.ts";
import { emptyColumns } from "./shared.ts";
import { RedisOutbox } from "./redis-outbox.ts";
import { LOG_RECORD } from "./redis-records.ts";
import { arr, bound, cmp, str, strs } from "./redis-codec.ts";

const DAY_MS = 86_400_000;

/** The Redis store's reports: the funnel from its own log, and where conversations stand. */
export abstract class RedisAnalytics extends RedisOutbox {
  /**
   * The funnel from its log (see logStage in lua/lib/prelude.lua): the day strings of the
   * period, the contacts' audience|source numbers and their dictionary, as bytes in
   * three reads, decoded into columns indexed by contact number. A month of a busy
   * shop is a few MB; nothing per entry is allocated.
   */
  async stageColumns(from: number, to: number, audience?: Audience): Promise<StageColumns> {
    const log = await this.funnelLog(from, to, audience);
    const sources: (string | undefined)[] = new Array(log.contacts);
    for (let cn = 0; cn < log.contacts; cn++) sources[cn] = log.metaOf(cn)?.source;
    return { contacts: log.contacts, sources, at: log.at };
  }

  /** the funnel log of a period decoded: first-reached times by contact number, and each number's audience|source (null: filtered out or merged away) */
  private async funnelLog(
    from: number,
    to: number,
    audience?: Audience,
  ): Promise<{ contacts: number; at: Record<StageKey, Float64Array>; metaOf: (cn: number) => { audience: Audience; source: string | undefined } | null }> {
    const first = Math.floor(from / DAY_MS);
    const last = Math.floor((to - 1) / DAY_MS);
    if (!(to > from) || !Number.isFinite(first) || !Number.isFinite(last)) return { contacts: 0, at: emptyColumns(0), metaOf: () => null };
    const days: string[] = [];
    for (let d = first; d <= last; d++) days.push(this.k(`fl:${d}`));
    const bytes = { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } };
    const [logs, fc, fm] = await Promise.all([
      days.length > 0 ? this.link.send(["MGET", ...days], bytes) : Promise.resolve([]),
      this.link.send(["GET", this.k("fc")], bytes),
      this.cmd(["HGETALL", this.k("fm")]),
    ]);
    // meta number -> { audience, source }, or null when the audience is filtered out
    const metas: ({ audience: Audience; source: string | undefined } | null)[] = [null];
    const flat = arr(fm).map(str);
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const meta = flat[i]!;
      const bar = meta.indexOf("|");
      const aud = (bar < 0 ? meta : meta.slice(0, bar)) as Audience;
      metas[Number(flat[i + 1])] = audience !== undefined && aud !== audience ? null : { audience: aud, source: bar < 0 ? undefined : meta.slice(bar + 1) };
    }
    const metaOf = Buffer.isBuffer(fc) ? fc : Buffer.alloc(0);
    const contacts = metaOf.length >> 2;
    const at = emptyColumns(contacts);
    const columns = STAGES.map((s) => at[s]);
    // "<contact>:<stage>:<at>" of records that were taken back (stage + 128): a record
    // and its take-back share a day string, in the order they happened, so a count
    // per key over the log says whether the last word was "reached"
    const disputed = new Set<string>();
    const balance = new Map<string, number>();
    const buffers = arr(logs).filter((b): b is Buffer => Buffer.isBuffer(b));
    const apply = (cn: number, stage: number, t: number) => {
      if (metas[metaOf.readUInt32LE(cn * 4)] == null) return;
      const column = columns[stage];
      if (column && !(column[cn]! <= t)) column[cn] = t;
    };
    for (const pass of [0, 1]) {
      for (const buf of buffers) {
        for (let o = 0; o + LOG_RECORD <= buf.length; o += LOG_RECORD) {
          const cn = buf.readUInt32LE(o);
          const raw = buf[o + 4]!;
          const t = buf.readDoubleLE(o + 5);
          if (t < from || t >= to || cn >= contacts) continue;
          const stage = raw & 127;
          if (pass === 0) {
            if (raw >= 128) disputed.add(`${cn}:${stage}:${t}`);
            continue;
          }
          const key = disputed.size > 0 ? `${cn}:${stage}:${t}` : "";
          if (disputed.has(key)) balance.set(key, (balance.get(key) ?? 0) + (raw >= 128 ? -1 : 1));
          else apply(cn, stage, t);
        }
      }
    }
    for (const [key, n] of balance) {
      if (n <= 0) continue;
      const [cn, stage, t] = key.split(":").map(Number) as [number, number, number];
      apply(cn, stage, t);
    }
    return { contacts, at, metaOf: (cn) => metas[metaOf.readUInt32LE(cn * 4)] ?? null };
  }

  async stepCounts(filter: { audience?: Audience; idleSince?: number }): Promise<{ flow: string; step: string; count: number }[]> {
    const groups = strs(await this.cmd(["SMEMBERS", this.k("sxk")]))
      .map((g) => ({ g, parts: g.split("\n") }))
      .filter(({ parts }) => parts.length === 3 && (filter.audience === undefined || parts[0] === filter.audience));
    const counts = await Promise.all(
      groups.map(({ g }) =>
        filter.idleSince === undefined
          ? this.cmd(["ZCARD", this.k(`sx:${g}`)])
          : this.cmd(["ZCOUNT", this.k(`sx:${g}`), "-inf", bound(filter.idleSince, true)]),
      ),
    );
    const byStep = new Map<string, { flow: string; step: string; count: number }>();
    groups.forEach(({ parts }, i) => {
      const n = Number(counts[i]);
      if (!n) return;
      const flow = parts[1]!;
      const step = parts[2]!;
      const key = `${flow}\n${step}`;
      const row = byStep.get(key);
      if (row) row.count += n;
      else byStep.set(key, { flow, step, count: n });
    });
    return [...byStep.values()].sort((a, b) => cmp(a.flow, b.flow) || cmp(a.step, b.step));
  }

}
