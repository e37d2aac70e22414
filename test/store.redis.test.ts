import fc from "fast-check";
import pino from "pino";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { computeFunnel } from "../src/analytics/funnel.ts";
import type { Store } from "../src/store/port.ts";
import { RedisStore } from "../src/store/redis.ts";
import { SqliteStore } from "../src/store/sqlite.ts";
import {
  T0,
  makeCommit,
  makeContact,
  makeConversation,
  makeMessage,
  makeOrder,
  makeOutboxItem,
  makeTouchpoint,
  storeContract,
} from "./store-contract/index.ts";
import { startRedis, uniquePrefix, type RedisHandle } from "./support/redis-server.ts";
import { stageRows, contactByIdentity } from "./support/store.ts";
import { waitUntil } from "./support/load.ts";

const quiet = pino({ level: "silent" });

/** retry until it resolves (a client reconnecting after a restart) */
async function eventually<T>(f: () => Promise<T>, ms = 10_000): Promise<T> {
  let value: T | undefined;
  let lastError: unknown;
  const attempt = () => f().then((v) => ((value = v), true), (err: unknown) => ((lastError = err), false));
  await waitUntil(attempt, ms, () => String(lastError), 50);
  return value as T;
}

let server: RedisHandle;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});

// each store gets a prefix of its own on the one server
const prefixes = new WeakMap<Store, string>();
async function open(prefix = uniquePrefix()): Promise<Store> {
  const store = await RedisStore.connect(server.url, { prefix });
  prefixes.set(store, prefix);
  return store;
}

storeContract("RedisStore", () => open(), {
  reopen: async (old) => {
    const prefix = prefixes.get(old)!;
    await old.close();
    return open(prefix);
  },
});

describe("RedisStore specifics", () => {
  it("books each leased reply's send in the channel's budget, shared by instances: one rate for all, bursts included, a 429 pause for all", async () => {
    const prefix = uniquePrefix();
    const [a, b] = await Promise.all([open(prefix), open(prefix)]);
    try {
      for (const s of [a, b]) (s as RedisStore).sendBudget.configure({ telegram: { perSecond: 10, burst: 10 } }, 2000);
      const t = T0;
      /** a step with one reply in a new chat, committed by `store` with an outbox lease taken at `now` */
      const reply = async (store: Store, chat: string, now: number, channel: "telegram" | "vk" = "telegram") => {
        const conversation = makeConversation({ channel, chatId: chat });
        const item = makeOutboxItem({ channel, chatId: chat, conversationKey: conversation.key, contactId: conversation.contactId });
        const { outbox } = await store.commitStep(makeCommit({ conversation, outbox: [item] }), { outbox: { leaseMs: 30_000, now } });
        return outbox.length === 0 ? "not leased" : (outbox[0]!.sendAt ?? "no booking");
      };
      // 35 replies at once, alternating between the two instances
      const got: (number | string)[] = [];
      for (let i = 0; i < 35; i++) got.push(await reply(i % 2 === 0 ? a : b, `rl${i}`, t));
      // the burst of 10 at once, then one every 100 ms up to the 2 s a sender waits
      expect(got.slice(0, 10)).toEqual(Array(10).fill(t));
      expect(got.slice(10, 30)).toEqual(Array.from({ length: 20 }, (_, i) => t + 100 * (i + 1)));
      // the rest is left in the queue, booked nothing, and is handed out when its slot comes
      expect(got.slice(30)).toEqual(Array(5).fill("not leased"));
      expect(await b.claimOutbox(10, 30_000, t + 2000)).toEqual([]);
      const later = await b.claimOutbox(10, 30_000, t + 2100);
      expect(later.map((i) => i.sendAt)).toEqual([0, 100, 200, 300, 400].map((ms) => t + 2100 + ms));
      // other channels have budgets of their own (or none)
      expect(await reply(a, "vk1", t, "vk")).toBe("no booking");
      // a 429 seen by one instance holds the other back too
      await a.sendBudget!.pause("telegram", t + 10_000);
      expect(await reply(b, "after429", t + 5000)).toBe("not leased");
      expect((await b.claimOutbox(10, 30_000, t + 10_000)).map((i) => [i.chatId, i.sendAt])).toEqual([["after429", t + 10_000]]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("retention leaves no key or index entry of a deleted reply behind, and keeps a reply listed before ost:sent was scored by time", async () => {
    const prefix = uniquePrefix();
    const store = await open(prefix);
    const raw = createClient({ url: server.url });
    await raw.connect();
    try {
      const keysOf = async () => ((await raw.sendCommand(["KEYS", `${prefix}:*`])) as string[]).sort();
      const conversation = makeConversation({ channel: "whatsapp", chatId: "ret" });
      await store.commitStep(makeCommit({ conversation }));
      const before = await keysOf();
      const items = [1, 2, 3].map((seq) =>
        makeOutboxItem({ channel: "whatsapp", chatId: "ret", seq, conversationKey: conversation.key, contactId: conversation.contactId }),
      );
      await store.commitStep(makeCommit({ outbox: items }));
      for (const [i, item] of items.entries()) {
        await store.claimOutbox(10, 30_000, T0);
        await store.markSent(item.id, [`wamid.${i}`], T0 + i);
      }
      // as a reply sent before this version was indexed: by insertion counter, not time
      const legacy = items[2]!.id;
      await raw.sendCommand(["ZADD", `${prefix}:ost:sent`, "3", legacy]);
      expect(await store.pruneSent(T0 + 2, 10)).toEqual({ deleted: 2, done: true });
      expect((await store.listOutbox({ status: "sent" })).map((i) => i.id)).toEqual([legacy]);
      expect(await raw.sendCommand(["ZSCORE", `${prefix}:ost:sent`, legacy])).toBe(String(T0 + 2));
      expect(await store.pruneSent(T0 + 3, 10)).toEqual({ deleted: 1, done: true });
      // the outbox's keys and global indexes are as before the replies
      expect(await keysOf()).toEqual(before);
      for (const h of ["oloc", "opid"]) expect(await raw.sendCommand(["HLEN", `${prefix}:${h}`])).toBe(0);
    } finally {
      await raw.quit();
      await store.close();
    }
  });

  it("answers ping with an error at once while the server is down, and carries on when it is back", async () => {
    const own = await startRedis({ appendonly: true });
    const store = await RedisStore.connect(own.url, { prefix: uniquePrefix(), log: quiet });
    try {
      await store.ping();
      own.kill(); // a crash: SIGKILL
      await eventually(async () => {
        await expect(store.ping()).rejects.toThrow(/not connected/);
      });
      const queued = store.enqueue([makeMessage({ chatId: "b" })]); // waits for the server
      await own.restart();
      await eventually(() => store.ping());
      expect(await queued).toEqual(["queued"]);
      expect(await store.pendingInbound()).toBe(1);
    } finally {
      await store.close();
      await own.stop();
    }
  });

  it("never hands one entry to two stores claiming at the same time", async () => {
    const prefix = uniquePrefix();
    const stores = await Promise.all([1, 2, 3].map(() => open(prefix)));
    try {
      const events = Array.from({ length: 60 }, (_, i) => makeMessage({ chatId: String(i % 20), text: String(i) }));
      await stores[0]!.enqueue(events);
      const now = T0 + 1_000_000;
      const seen: string[] = [];
      const order = new Map<string, string[]>();
      for (let round = 0; round < 10; round++) {
        const batches = await Promise.all(stores.map((s, i) => s.claimInbound(`w${i}`, 7, 30_000, now)));
        const all = batches.flat();
        if (all.length === 0) break;
        const keys = all.map((e) => e.conversationKey);
        expect(new Set(keys).size).toBe(keys.length); // one per conversation at a time
        for (const e of all) {
          seen.push(e.id);
          const texts = order.get(e.conversationKey) ?? [];
          texts.push((e.event as { text: string }).text);
          order.set(e.conversationKey, texts);
        }
        await Promise.all(all.map((e, i) => stores[i % 3]!.commitStep(makeCommit({ entryId: e.id }))));
      }
      expect(new Set(seen).size).toBe(60);
      for (const [key, texts] of order) {
        const chat = Number(key.split(":")[1]);
        expect(texts).toEqual([chat, chat + 20, chat + 40].map(String));
      }
      expect(await stores[0]!.pendingInbound()).toBe(0);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it("keeps journal, outbox and contacts across a restart of an AOF redis-server", async () => {
    const aof = await startRedis({ appendonly: true });
    const prefix = uniquePrefix();
    let store = await RedisStore.connect(aof.url, { prefix, log: quiet });
    try {
      const contact = makeContact({
        phone: "79990001122",
        identities: [{ channel: "whatsapp", userId: "79990001122", reachable: true }],
        stagesReached: { awareness: T0 + 1 },
      });
      const conv = makeConversation({ channel: "whatsapp", chatId: "79990001122", contactId: contact.id });
      const item = makeOutboxItem({ channel: "whatsapp", chatId: "79990001122", contactId: contact.id });
      const tp = makeTouchpoint({ contactId: contact.id });
      await store.enqueue([makeMessage({ chatId: "a", dedupeKey: "before-restart" }), makeMessage({ chatId: "b" })]);
      await store.commitStep(makeCommit({ conversation: conv, contacts: [contact], touchpoints: [tp], outbox: [item] }));

      await aof.restart();
      // the same client reconnects by itself
      await eventually(() => store.ping());
      expect(await store.pendingInbound()).toBe(2);
      expect(await store.enqueue([makeMessage({ chatId: "a", dedupeKey: "before-restart" })])).toEqual(["duplicate"]);
      expect((await store.claimInbound("w", 10, 30_000, T0)).map((e) => e.conversationKey).sort()).toEqual([
        "telegram:a",
        "telegram:b",
      ]);
      expect(await store.getContact(contact.id)).toEqual(contact);
      expect(await contactByIdentity(store, "whatsapp", "79990001122")).toEqual(contact);
      expect(await store.findContactByPhone("79990001122")).toEqual(contact);
      expect(await store.getConversation(conv.key)).toEqual(conv);
      expect(await store.listTouchpoints(contact.id)).toEqual([tp]);
      expect((await store.claimOutbox(10, 30_000, T0)).map((i) => i.id)).toEqual([item.id]);

      // and a new connection sees the same
      await store.close();
      store = await RedisStore.connect(aof.url, { prefix, log: quiet });
      expect(await store.listOutbox({ conversationKey: conv.key })).toEqual([item]);
      expect(await store.pendingInbound()).toBe(2);
    } finally {
      await store.close();
      await aof.stop();
    }
  });
});

// ---- differential: the same random operations against SqliteStore and RedisStore ----

const CHATS = [
  { channel: "telegram", chatId: "1" },
  { channel: "telegram", chatId: "2" },
  { channel: "telegram", chatId: "10" },
  { channel: "whatsapp", chatId: "w1" },
] as const;
const CONTACTS = ["ct_a", "ct_b", "ct_c", "ct_d"];
const IDENTITIES = [
  { channel: "telegram", userId: "1" },
  { channel: "telegram", userId: "2" },
  { channel: "whatsapp", userId: "w1" },
  { channel: "vk", userId: "9" },
] as const;
const STAGE_PICK = ["awareness", "interest", "desire", "action"] as const;

const pick = <T>(xs: readonly T[]) => fc.constantFrom(...xs);
const small = (max: number) => fc.integer({ min: 0, max });

const arbContact = fc.record({
  i: small(CONTACTS.length - 1),
  phone: fc.option(pick(["7900", "7901"]), { nil: undefined }),
  sharedCode: fc.boolean(),
  referredBy: fc.option(pick(CONTACTS), { nil: undefined }),
  audience: pick(["customer", "partner"] as const),
  source: fc.option(pick(["qr", "ad"]), { nil: undefined }),
  identities: fc.subarray([0, 1, 2, 3]),
  stages: fc.dictionary(pick(STAGE_PICK), small(30)),
  balance: fc.integer({ min: -3, max: 3 }),
  updated: small(5),
  merged: fc.option(pick(CONTACTS), { nil: undefined, freq: 15 }),
});

const arbConversation = fc.record({
  chat: small(CHATS.length - 1),
  contact: pick(CONTACTS),
  flow: pick(["main", "partner"]),
  step: fc.option(pick(["menu", "checkout"]), { nil: null }),
  handoff: fc.boolean(),
  timers: fc.dictionary(pick(["remind", "later"]), fc.record({ at: small(20), token: pick(["t1", "t2"]) })),
  updated: small(10),
});

const arbOp = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant("enqueue" as const), events: fc.array(fc.record({ chat: small(3), d: small(12) }), { minLength: 1, maxLength: 3 }) }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant("claim" as const), max: fc.integer({ min: 1, max: 3 }), dt: small(1500) }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant("release" as const), k: small(2), maxAttempts: fc.integer({ min: 1, max: 3 }) }), weight: 2 },
  {
    arbitrary: fc.record({
      op: fc.constant("commit" as const),
      // the k-th latest claimed entry, or a stale id
      entry: fc.option(fc.oneof({ arbitrary: small(1), weight: 6 }, { arbitrary: fc.constant(-1), weight: 1 }), { nil: undefined, freq: 2 }),
      conversation: fc.option(arbConversation, { nil: undefined }),
      contacts: fc.array(arbContact, { maxLength: 2 }),
      touchpoints: fc.array(fc.record({ id: small(6), contact: pick(CONTACTS), at: small(5) }), { maxLength: 2 }),
      orders: fc.array(fc.record({ id: small(3), contact: pick(CONTACTS), status: pick(["placed", "shipped"] as const), at: small(3) }), { maxLength: 1 }),
      outbox: fc.array(fc.record({ chat: small(3), seq: fc.integer({ min: 1, max: 12 }), later: fc.boolean(), dupId: small(9).map((x) => x === 0) }), { maxLength: 2 }),
    }),
    weight: 4,
  },
  { arbitrary: fc.record({ op: fc.constant("merge" as const), from: pick(CONTACTS), into: pick(CONTACTS) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant("seed" as const), contacts: fc.array(arbContact, { minLength: 4, maxLength: 4 }) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant("claimOutbox" as const) }), weight: 2 },
  {
    arbitrary: fc.record({
      op: fc.constant("outbox" as const),
      id: small(20),
      what: pick(["sent", "sent", "retry", "held", "dead", "requeue", "delivery"] as const),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ op: fc.constant("dead" as const), k: small(1), retry: fc.boolean() }), weight: 2 },
  // retention, in whole batches: ties in the time sent may be taken in either order
  { arbitrary: fc.record({ op: fc.constant("prune" as const), back: small(1500) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant("timers" as const) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant("fire" as const), chat: small(3), name: pick(["remind", "later"]), token: pick(["t1", "t2"]) }), weight: 1 },
);
type Op = typeof arbOp extends fc.Arbitrary<infer T> ? T : never;

interface Side {
  store: Store;
  claimed: string[]; // entry ids, latest last
  items: string[]; // outbox ids committed
}

type ContactGen = typeof arbContact extends fc.Arbitrary<infer T> ? T : never;

function contactOf(c: ContactGen) {
  const id = CONTACTS[c.i]!;
  const stagesReached = Object.fromEntries(Object.entries(c.stages).map(([s, at]) => [s, T0 + at]));
  return makeContact({
    id,
    ...(c.phone ? { phone: c.phone } : {}),
    referralCode: c.sharedCode ? "r_shared" : `r_${id}`,
    ...(c.referredBy && c.referredBy !== id ? { referredBy: c.referredBy } : {}),
    audience: c.audience,
    ...(c.source ? { source: c.source } : {}),
    identities: c.identities.map((i) => ({ ...IDENTITIES[i]!, reachable: true })),
    stagesReached,
    balance: c.balance,
    createdAt: T0 + c.i * 1000,
    updatedAt: T0 + c.updated,
    ...(c.merged && c.merged !== id ? { mergedInto: c.merged } : {}),
  });
}

/** SQLite orders due timers by time only */
function sortTimers<T extends { at: number; conversationKey: string; name: string }>(ts: T[]): T[] {
  const key = (t: T) => `${String(t.at).padStart(16, "0")}\n${t.conversationKey}\n${t.name}`;
  return [...ts].sort((a, b) => (key(a) < key(b) ? -1 : 1));
}

async function outcome<T>(f: () => Promise<T>): Promise<T | { threw: true }> {
  try {
    return await f();
  } catch {
    return { threw: true };
  }
}

function entryView(e: { id: string; event: { dedupeKey: string }; conversationKey: string; attempts: number; enqueuedAt: number }) {
  return { d: e.event.dedupeKey, key: e.conversationKey, attempts: e.attempts, at: e.enqueuedAt };
}

type CommitOp = Extract<Op, { op: "commit" }>;

function commitOp(side: Side, op: CommitOp, now: number, n: number): Promise<unknown> {
  const { store, claimed, items } = side;
  const latest = (k: number) => (k < 0 ? "in_missing" : (claimed[claimed.length - 1 - k] ?? "in_missing"));
  const T = T0 + 1_000_000;
  const conv = op.conversation;
  const chat = conv ? CHATS[conv.chat]! : undefined;
  return outcome(() =>
    store.commitStep(
      makeCommit({
        ...(op.entry !== undefined ? { entryId: latest(op.entry) } : {}),
        ...(conv && chat
          ? {
              conversation: makeConversation({
                channel: chat.channel,
                chatId: chat.chatId,
                contactId: conv.contact,
                flow: conv.flow,
                step: conv.step,
                handoff: conv.handoff ? { queue: "q", reason: "r", since: T0 } : null,
                timers: Object.fromEntries(
                  Object.entries(conv.timers).map(([n, t]) => [n, { at: T + t.at * 100, token: t.token, target: "x" }]),
                ),
                updatedAt: T0 + conv.updated,
              }),
            }
          : {}),
        contacts: op.contacts.map(contactOf),
        touchpoints: op.touchpoints.map((t) =>
          makeTouchpoint({ id: `tp${t.id}`, contactId: t.contact, at: T0 + t.at, summary: `tp${t.id}` }),
        ),
        orders: op.orders.map((o) =>
          makeOrder({ id: `o${o.id}`, number: `N${o.id}`, contactId: o.contact, status: o.status, createdAt: T0 + o.at }),
        ),
        outbox: op.outbox.map((o, k) =>
          makeOutboxItem({
            id: o.dupId && items.length ? items[0]! : `ob${n}_${k}`,
            ...CHATS[o.chat]!,
            seq: o.seq,
            notBefore: o.later ? now + 700 : 0,
            createdAt: T0,
          }),
        ),
      }),
    ),
  );
}

async function applyOp(side: Side, op: Op, now: number, n: number): Promise<unknown> {
  const { store, claimed, items } = side;
  const latest = (k: number) => (k < 0 ? "in_missing" : (claimed[claimed.length - 1 - k] ?? "in_missing"));
  switch (op.op) {
    case "enqueue":
      return store.enqueue(
        op.events.map((e) => makeMessage({ ...CHATS[e.chat]!, userId: CHATS[e.chat]!.chatId, dedupeKey: `d${e.d}`, at: T0 + e.d })),
      );
    case "claim": {
      const got = await store.claimInbound("w", op.max, 1000, now);
      for (const e of got) claimed.push(e.id);
      return got.map(entryView);
    }
    case "release":
      return store.releaseInbound(latest(op.k), `boom ${n}`, op.maxAttempts);
    case "commit": {
      const res = await commitOp(side, op, now, n);
      if (!(res && typeof res === "object" && "threw" in res)) {
        for (let k = 0; k < op.outbox.length; k++) if (!(op.outbox[k]!.dupId && items.length)) items.push(`ob${n}_${k}`);
      }
      return res;
    }
    case "seed": // every contact, live
      return store.commitStep(
        makeCommit({ contacts: op.contacts.map((c, i) => contactOf({ ...c, i, merged: undefined })) }),
      );
    case "merge":
      return outcome(() => store.mergeContacts(op.from, op.into));
    case "claimOutbox":
      // SQLite orders ready heads by time only: compare what was handed out, not in which order
      return (await store.claimOutbox(10, 1000, now)).map((i) => i.id).sort();
    case "outbox": {
      const id = items.length ? items[op.id % items.length]! : "ob_missing";
      if (op.what === "sent") return store.markSent(id, [`p${op.id % 4}`], now);
      if (op.what === "retry") return store.markRetry(id, now + 500, "later");
      if (op.what === "held" || op.what === "dead") return store.markFailed(id, op.what, op.what);
      if (op.what === "requeue") return store.requeueOutbox(id, now);
      return store.setDeliveryStatus(id, "read");
    }
    case "dead": {
      // staff acting on the k-th dead letter (newest first); ids differ by store
      const id = (await store.deadInbound(10))[op.k]?.entry.id ?? "in_missing";
      if (!op.retry) return store.discardDeadInbound(id);
      const back = await store.retryDeadInbound(id);
      if (back) claimed.push(back.id);
      return back && entryView(back);
    }
    case "prune":
      return store.pruneSent(now + 1 - op.back, 1000);
    case "timers":
      return sortTimers(await store.dueTimers(now, 10));
    case "fire": {
      const chat = CHATS[op.chat]!;
      return store.markTimerFired(`${chat.channel}:${chat.chatId}`, op.name, op.token);
    }
  }
}

/** every read of the port, with SQLite's unspecified tie orders made definite */
async function snapshot(store: Store, now: number): Promise<unknown> {
  const byBalance = (cs: { id: string; balance: number; updatedAt: number }[]) =>
    [...cs].sort((a, b) => a.balance - b.balance || b.updatedAt - a.updatedAt || (a.id < b.id ? -1 : 1));
  const contacts = await Promise.all(CONTACTS.map((id) => store.getContact(id)));
  return {
    pending: await store.pendingInbound(),
    dead: (await store.deadInbound(10)).map((d) => ({ ...entryView(d.entry), error: d.error })),
    conversations: await Promise.all(CHATS.map((c) => store.getConversation(`${c.channel}:${c.chatId}`))),
    convLists: await Promise.all(
      [{}, { inHandoff: true }, { inHandoff: false, limit: 2 }, { contactId: "ct_a" }, { contactId: "ct_b", inHandoff: false }].map((f) =>
        store.listConversations(f).then((cs) => cs.map((c) => c.key)),
      ),
    ),
    contacts,
    byIdentity: await Promise.all(IDENTITIES.map((i) => contactByIdentity(store, i.channel, i.userId).then((c) => c?.id ?? null))),
    byPhone: await Promise.all(["7900", "7901"].map((p) => store.findContactByPhone(p).then((c) => c?.id ?? null))),
    byCode: await Promise.all(["r_shared", ...CONTACTS.map((id) => `r_${id}`)].map((p) => store.findContactByReferralCode(p).then((c) => c?.id ?? null))),
    listed: (await store.listContacts({})).map((c) => c.id),
    listedPartners: (await store.listContacts({ audience: "partner", limit: 2 })).map((c) => c.id),
    atRisk: byBalance(await store.listContacts({ balanceBelow: 1 })).map((c) => c.id),
    atRiskTop: (await store.listContacts({ balanceBelow: 0, audience: "customer", limit: 1 })).map((c) => [c.balance, c.updatedAt]),
    touchpoints: await Promise.all(CONTACTS.map((id) => store.listTouchpoints(id))),
    lastTouchpoint: await store.listTouchpoints("ct_a", 1),
    orders: await Promise.all(["o0", "o1", "o2", "o3"].map((id) => store.getOrder(id))),
    orderLists: await Promise.all(
      [{}, { contactId: "ct_a" }, { status: "placed" as const }, { contactId: "ct_b", status: "shipped" as const, limit: 1 }].map((f) =>
        store.listOrders(f).then((os) => os.map((o) => o.id)),
      ),
    ),
    outbox: await Promise.all(
      [{}, { status: "pending" as const }, { status: "held" as const, limit: 1 }, ...CHATS.map((c) => ({ conversationKey: `${c.channel}:${c.chatId}` }))].map((f) =>
        store.listOutbox(f),
      ),
    ),
    // in the order sent, but items sent in the same ms may list either way round
    sent: (await store.listOutbox({ status: "sent" })).map((i) => i.id).sort(),
    byPlatformId: await Promise.all(
      CHATS.flatMap((c) => [0, 1, 2, 3].map((i) => store.findOutboxByPlatformId(c.channel, `p${i}`).then((x) => x?.id ?? null))),
    ),
    timers: sortTimers(await store.dueTimers(now + 10_000, 10)),
    stages: await stageRows(store, T0, T0 + 25),
    stagesPartner: await stageRows(store, T0 + 3, T0 + 40, "partner"),
    // the funnel's columns (Redis: its own log) tell the same story as the entries
    funnel: computeFunnel(await store.stageColumns(T0, T0 + 25)),
    funnelPartner: computeFunnel(await store.stageColumns(T0 + 3, T0 + 40, "partner")),
    steps: await store.stepCounts({}),
    stepsCustomer: await store.stepCounts({ audience: "customer", idleSince: T0 + 5 }),
  };
}

const DIFF_RUNS = Number(process.env.DIFF_RUNS ?? 40);

describe("RedisStore against SqliteStore", () => {
  it("gives the same answers to the same random operations", { timeout: 60_000 + DIFF_RUNS * 500 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(arbOp, { minLength: 5, maxLength: 40, size: "medium" }), async (ops) => {
        const clock = () => T0 + 5_000_000;
        const sqlite: Side = { store: SqliteStore.open(":memory:", { clock }), claimed: [], items: [] };
        const redis: Side = {
          store: await RedisStore.connect(server.url, { prefix: uniquePrefix(), clock }),
          claimed: [],
          items: [],
        };
        try {
          let now = T0 + 1_000_000;
          for (const [i, op] of ops.entries()) {
            if (op.op === "claim") now += op.dt;
            const want = await applyOp(sqlite, op, now, i);
            const got = await applyOp(redis, op, now, i);
            expect({ i, op, result: got }).toEqual({ i, op, result: want });
            expect({ i, op, state: await snapshot(redis.store, now) }).toEqual({ i, op, state: await snapshot(sqlite.store, now) });
          }
        } finally {
          await sqlite.store.close();
          await redis.store.close();
        }
      }),
      { numRuns: DIFF_RUNS },
    );
  });
});
