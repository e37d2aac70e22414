import type { Contact, Order, Touchpoint } from "../model/domain.ts";
import type { RedisLink } from "./redis-link.ts";
import { ReportRecordCache } from "./report-cache.ts";
import { EventCache, VisitCache, type CopySource, type VisitColumns } from "./report-visits.ts";
import { REPORT_EVENT_MARKS, STEP_VISIT_MARKS, isReportEvent, type ReportReads, type StepVisit } from "./report-reads.ts";

/**
 * The reports' reads on Redis. The commit script (redis-scripts.ts) adds each new
 * touchpoint that is a report event to `<p>:rt` (the touchpoint's JSON, scored by its
 * time) and each bot reply at a step to `<p>:sv` ("ck\nflow\nstep"), in the same
 * write as the touchpoint itself, with the same "<seq>|" prefix as the per-contact
 * set so equal times keep their order. Contacts and orders come from the store's own
 * indexes (`cu`, `or:all`).
 */
const PAD = 13;
const lua = (s: string) => `'${s.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
const has = (m: string) => `string.find(d, ${lua(m)}, 1, true)`;

/** Lua for the commit script: call reportIndex(t, member, rt, sv) per new touchpoint */
export const REPORT_INDEX_LUA = String.raw`
local function reportIndex(t, member, rt, sv)
  local d = t.d
  if ${REPORT_EVENT_MARKS.map(has).join(" or ")} then
    rt[#rt + 1] = t.at
    rt[#rt + 1] = member
  end
  if ${has(STEP_VISIT_MARKS.kind)} and ${has(STEP_VISIT_MARKS.step)} and not ${has(STEP_VISIT_MARKS.staff)} then
    local ck = string.match(d, '"conversationKey":"([^"]*)"')
    local fl = string.match(d, '"flow":"([^"]*)"')
    local st = string.match(d, '"step":"([^"]*)"')
    if ck and fl and st then
      sv[#sv + 1] = t.at
      sv[#sv + 1] = string.sub(member, 1, 13) .. ck .. '\n' .. fl .. '\n' .. st
    end
  end
end
`;

const CHUNK = 2000;
/** how far before the latest visit read a later report looks again for late writes (a worker's clock behind, a slow step) */
const LATE_MS = 60 * 60_000;

function list(x: unknown): string[] {
  return Array.isArray(x) ? x.map(String) : [];
}

export class RedisReportReads implements ReportReads {
  private readonly cache: ReportRecordCache;
  private readonly visitCache: VisitCache;
  private readonly eventCache: EventCache;

  constructor(
    private readonly link: RedisLink,
    private readonly p: string,
  ) {
    const visit = (s: number, at: number, body: string) => {
      const [conversationKey, flow, step] = body.split("\n");
      return conversationKey && flow && step ? { seq: s, at, conversationKey, flow, step } : undefined;
    };
    const event = (s: number, _at: number, body: string) => {
      const t = JSON.parse(body) as Touchpoint;
      return isReportEvent(t) ? { seq: s, t } : undefined;
    };
    this.visitCache = new VisitCache(this.copySource("sv", visit));
    this.eventCache = new EventCache(this.copySource("rt", event));
    this.cache = new ReportRecordCache({
      head: async () => Number((await this.link.send(["GET", this.k("rseq")])) ?? 0),
      all: async () => {
        const [contacts, orders] = await Promise.all([this.allContacts(), this.allOrders()]);
        return { contacts, orders };
      },
      since: async (after) => {
        const flat = list(await this.link.send(["ZRANGE", this.k("rchg"), `(${after}`, "+inf", "BYSCORE", "WITHSCORES"]));
        const keys: string[] = [];
        let head = after;
        for (let i = 0; i + 1 < flat.length; i += 2) {
          keys.push(flat[i]!);
          head = Math.max(head, Number(flat[i + 1]));
        }
        return { keys, head };
      },
      contactsById: async (ids) =>
        (await this.docs(ids.map((id) => `${this.p}:{p:${id}}`))).map((d) => {
          if (d === null) return null;
          const c = JSON.parse(d) as Contact;
          return c.mergedInto === undefined ? c : null;
        }),
      ordersById: (ids) => this.ordersOf(ids),
    });
  }

  contacts(): Promise<Contact[]> {
    return this.cache.contacts();
  }

  orders(): Promise<Order[]> {
    return this.cache.orders();
  }

  /**
   * A copy's source on one of the scored sets: members are "<seq padded>:<body>" scored
   * by time; `after` looks LATE_MS before the cursor's time for rows written late
   */
  private copySource<T extends { seq: number }>(set: string, decode: (seq: number, at: number, body: string) => T | undefined): CopySource<T> {
    const read = async (min: number, max: string, above: number) => {
      const members = list(await this.link.send(["ZRANGE", this.k(set), String(min), max, "BYSCORE", "WITHSCORES"]));
      const items: T[] = [];
      let seq = above;
      let at = 0;
      for (let i = 0; i + 1 < members.length; i += 2) {
        const m = members[i]!;
        const s = Number(m.slice(0, PAD - 1));
        const a = Number(members[i + 1]);
        if (a > at) at = a;
        if (!(s > above)) continue;
        if (s > seq) seq = s;
        const item = decode(s, a, m.slice(PAD));
        if (item) items.push(item);
      }
      return { items, cursor: { seq, at } };
    };
    return {
      deletionMark: async () => String((await this.link.send(["ZSCORE", this.k("rchg"), "t:del"])) ?? 0),
      range: (from, to) => read(from, Number.isFinite(to) ? `(${to}` : "+inf", -1),
      after: (cursor, from) => read(Math.max(from, cursor.at - LATE_MS), "+inf", cursor.seq),
    };
  }

  private k(name: string): string {
    return `${this.p}:${name}`;
  }

  /** HGET field d of each key, in chunks that node-redis pipelines */
  private async docs(keys: string[], field = "d"): Promise<(string | null)[]> {
    const out: (string | null)[] = [];
    for (let i = 0; i < keys.length; i += CHUNK) {
      const replies = await Promise.all(keys.slice(i, i + CHUNK).map((key) => this.link.send(["HGET", key, field])));
      for (const r of replies) out.push(r === null || r === undefined ? null : String(r));
    }
    return out;
  }

  private async allContacts(): Promise<Contact[]> {
    const ids = list(await this.link.send(["ZRANGE", this.k("cu"), "0", "-1"])).map((m) => m.slice(PAD));
    const docs = await this.docs(ids.map((id) => `${this.p}:{p:${id}}`));
    const out: Contact[] = [];
    for (const d of docs) {
      if (d === null) continue;
      const c = JSON.parse(d) as Contact;
      if (c.mergedInto === undefined) out.push(c);
    }
    return out;
  }

  /** each order now (null: none), its contact id as the hash has it */
  private async ordersOf(ids: string[]): Promise<(Order | null)[]> {
    const keys = ids.map((id) => this.k(`or:${id}`));
    const out: (Order | null)[] = [];
    for (let i = 0; i < keys.length; i += CHUNK) {
      const replies = await Promise.all(keys.slice(i, i + CHUNK).map((key) => this.link.send(["HMGET", key, "d", "c"])));
      for (const r of replies) {
        const [d, c] = Array.isArray(r) ? r : [];
        if (d === null || d === undefined) {
          out.push(null);
          continue;
        }
        const order = JSON.parse(String(d)) as Order;
        if (c !== null && c !== undefined) order.contactId = String(c);
        out.push(order);
      }
    }
    return out;
  }

  private async allOrders(): Promise<Order[]> {
    const ids = list(await this.link.send(["ZRANGE", this.k("or:all"), "0", "-1"])).map((m) => m.slice(PAD));
    return (await this.ordersOf(ids)).filter((o): o is Order => o !== null);
  }

  events(from: number, to: number): Promise<Touchpoint[]> {
    return this.eventCache.between(from, to);
  }

  visitColumns(from: number, to: number): Promise<VisitColumns> {
    return this.visitCache.columns(from, to);
  }

  async stepVisits(from: number, to: number): Promise<StepVisit[]> {
    const members = list(await this.link.send(["ZRANGE", this.k("sv"), String(from), `(${to}`, "BYSCORE", "WITHSCORES"]));
    const out: StepVisit[] = [];
    for (let i = 0; i + 1 < members.length; i += 2) {
      const [conversationKey, flow, step] = members[i]!.slice(PAD).split("\n");
      if (conversationKey && flow && step) out.push({ at: Number(members[i + 1]), conversationKey, flow, step });
    }
    return out;
  }
}
