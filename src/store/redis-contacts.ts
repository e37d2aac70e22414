import type { Channel } from "../model/channel.ts";
import type { Contact, Conversation } from "../model/domain.ts";
import type { ContactQuery, TurnContext } from "./port.ts";
import { MAX_MERGE_HOPS, mergeContactRecords, mergeDone } from "./shared.ts";
import { RedisJournal } from "./redis-journal.ts";
import { PAD } from "./redis-records.ts";
import { arr, bound, contactArgs, identityKey, limitOf, optStr, stopOf, str, strs, toTurn } from "./redis-codec.ts";

const MERGE_RETRIES = 10;

/**
 * The Redis store's contacts and conversations: reads, the one walk of merge pointers
 * (liveContact, in Lua beside loadTurn: lua/lib/turn.lua) and merges (merge.lua).
 */
export abstract class RedisContacts extends RedisJournal {
  protected async conversations(keys: string[]): Promise<Conversation[]> {
    const replies = await Promise.all(keys.map((ck) => this.cmd(["HMGET", this.kConv(ck), "d", "c"])));
    const out: Conversation[] = [];
    for (const reply of replies) {
      const [d, c] = arr(reply).map(optStr);
      if (d === null || d === undefined) continue;
      const conv = JSON.parse(d) as Conversation;
      if (c) conv.contactId = c;
      out.push(conv);
    }
    return out;
  }

  async getConversation(key: string): Promise<Conversation | null> {
    return (await this.conversations([key]))[0] ?? null;
  }

  async loadTurn(conversationKey: string, channel: Channel, userId: string, ordersLimit: number): Promise<TurnContext> {
    return toTurn(
      arr(await this.run("loadTurn", [conversationKey, identityKey(channel, userId), String(MAX_MERGE_HOPS), String(ordersLimit)])),
    );
  }

  async listConversations(filter: { inHandoff?: boolean; contactId?: string; limit?: number }): Promise<Conversation[]> {
    const lim = limitOf(filter.limit);
    if (lim === 0) return [];
    if (filter.contactId !== undefined) {
      const keys = strs(await this.cmd(["ZRANGE", `${this.kContact(filter.contactId)}:cv`, "0", "-1", "REV"])).map(
        (m) => m.slice(PAD),
      );
      let convs = await this.conversations(keys);
      if (filter.inHandoff !== undefined) convs = convs.filter((c) => Boolean(c.handoff) === filter.inHandoff);
      return lim < 0 ? convs : convs.slice(0, lim);
    }
    const index = filter.inHandoff === undefined ? "cv:all" : filter.inHandoff ? "cv:ho" : "cv:open";
    const members = strs(await this.cmd(["ZRANGE", this.k(index), "0", stopOf(lim), "REV"]));
    return this.conversations(members.map((m) => m.slice(PAD)));
  }

  protected async contacts(ids: string[]): Promise<(Contact | null)[]> {
    const replies = await Promise.all(ids.map((id) => this.cmd(["HGET", this.kContact(id), "d"])));
    return replies.map((r) => {
      const d = optStr(r);
      return d === null ? null : (JSON.parse(d) as Contact);
    });
  }

  async getContact(id: string): Promise<Contact | null> {
    return (await this.contacts([id]))[0] ?? null;
  }

  async liveContact(id: string): Promise<Contact | null> {
    const [d] = strs(await this.run("liveContacts", [String(MAX_MERGE_HOPS), "1", id]));
    return d ? (JSON.parse(d) as Contact) : null;
  }

  /** live contacts first, then the oldest (the score is createdAt, +1e15 when merged) */
  protected async firstOf(index: string): Promise<Contact | null> {
    const [id] = strs(await this.cmd(["ZRANGE", index, "0", "0"]));
    return id === undefined ? null : this.liveContact(id);
  }

  async findContactByPhone(phone: string): Promise<Contact | null> {
    return this.firstOf(this.k(`ph:${phone}`));
  }

  async findContactByReferralCode(code: string): Promise<Contact | null> {
    return this.firstOf(this.k(`rc:${code}`));
  }

  async listContacts(query: ContactQuery): Promise<Contact[]> {
    const lim = limitOf(query.limit);
    if (lim === 0) return [];
    const aud = query.audience !== undefined ? `:${query.audience}` : "";
    if (query.balanceBelow === undefined) {
      const members = strs(await this.cmd(["ZRANGE", this.k(`cu${aud}`), "0", stopOf(lim), "REV"]));
      return (await this.contacts(members.map((m) => m.slice(PAD)))).filter((c): c is Contact => c !== null);
    }
    // balance ASC, then updatedAt DESC: load the first `lim` plus whoever ties the last
    const flat = strs(
      await this.cmd(["ZRANGE", this.k(`cb${aud}`), "-inf", bound(query.balanceBelow, true), "BYSCORE", "WITHSCORES"]),
    );
    const rows: { member: string; balance: number }[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) rows.push({ member: flat[i]!, balance: Number(flat[i + 1]) });
    let picked = rows;
    if (lim > 0 && rows.length > lim) {
      const edge = rows[lim - 1]!.balance;
      picked = rows.filter((r) => r.balance <= edge);
    }
    const loaded = await this.contacts(picked.map((r) => r.member.slice(PAD)));
    const withRid = picked
      .map((r, i) => ({ rid: r.member.slice(0, PAD), c: loaded[i] }))
      .filter((x): x is { rid: string; c: Contact } => x.c !== null && x.c !== undefined);
    withRid.sort(
      (a, b) => a.c.balance - b.c.balance || b.c.updatedAt - a.c.updatedAt || (a.rid < b.rid ? 1 : a.rid > b.rid ? -1 : 0),
    );
    const sorted = withRid.map((x) => x.c);
    return lim < 0 ? sorted : sorted.slice(0, lim);
  }

  async mergeContacts(fromId: string, intoId: string): Promise<Contact> {
    if (fromId === intoId) throw new Error(`cannot merge contact ${fromId} into itself`);
    for (let attempt = 0; attempt < MERGE_RETRIES; attempt++) {
      const [fromJson, intoJson] = (
        await Promise.all([fromId, intoId].map((id) => this.cmd(["HGET", this.kContact(id), "d"])))
      ).map(optStr);
      const from = fromJson ? (JSON.parse(fromJson) as Contact) : null;
      const into = intoJson ? (JSON.parse(intoJson) as Contact) : null;
      if (!fromJson || !intoJson) throw new Error(`contact ${fromJson ? intoId : fromId} not found`);
      const done = mergeDone(fromId, intoId, from, into);
      if (done) return done;
      const { merged, source } = mergeContactRecords(from!, into!, this.clock());

      // those `from` referred now count as referred by `into`, written in SQLite's
      // order (insertion) and read after the two writes above, as SQLite does, so
      // the pair themselves come as just written
      const referredIds = strs(await this.cmd(["SMEMBERS", `${this.kContact(fromId)}:rf`])).filter(
        (id) => id !== fromId && id !== intoId,
      );
      if (merged.referredBy === fromId) referredIds.push(intoId);
      if (source.referredBy === fromId) referredIds.push(fromId);
      const rows = await Promise.all(
        referredIds.map(async (id) => {
          const [d, rid] = arr(await this.cmd(["HMGET", this.kContact(id), "d", "rid"])).map(optStr);
          return { id, d: d ?? null, rid: Number(rid ?? Number.MAX_SAFE_INTEGER) };
        }),
      );
      rows.sort((a, b) => a.rid - b.rid);
      const expect: string[] = [];
      const referred: Contact[] = [];
      for (const row of rows) {
        if (row.id === intoId) referred.push({ ...merged, referredBy: intoId });
        else if (row.id === fromId) referred.push({ ...source, referredBy: intoId });
        else if (row.d !== null) {
          const c = JSON.parse(row.d) as Contact;
          if (c.referredBy !== fromId) continue;
          expect.push(row.id, row.d);
          referred.push({ ...c, referredBy: intoId });
        }
      }

      const res = str(
        await this.run("merge", [
          fromId,
          intoId,
          fromJson,
          intoJson,
          String(expect.length / 2),
          ...expect,
          ...contactArgs(source),
          ...contactArgs(merged),
          String(referred.length),
          ...referred.flatMap(contactArgs),
        ]),
      );
      if (res === "OK") return merged;
    }
    throw new Error(`merging ${fromId} into ${intoId}: the contacts kept changing`);
  }

}
