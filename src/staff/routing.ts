import type { Conversation } from "../model/domain.ts";
import type { KeyValuePort } from "../store/port.ts";
import { listStaffAccounts } from "./accounts.ts";
import type { StaffActionDeps } from "./actions.ts";
import { onlineLogins } from "./presence.ts";

/**
 * Who gets a chat nobody took: the customer's own manager (whoever served them
 * before) when they are online and under their limit, otherwise the next operator
 * online in turn (round-robin), never past STAFF_MAX_OPEN_CHATS open chats each. An
 * offer is not a take: the inbox shows it to that person first; a chat nobody took
 * within STAFF_OFFER_AFTER_MINUTES is offered to the next one.
 * Any instance may run it: each decision is claimed in the key-value port first.
 */
const MANAGERS_NS = "staff.managers";
const OFFERS_NS = "staff.offers";
const ROUTING_NS = "staff.routing";

export interface RoutingOptions {
  maxOpenChats: number;
  offerAfterMs: number;
}

export interface Offer {
  to: string;
  at: number;
  /** the handoff it was made for (a new handoff starts afresh) */
  since: number;
  tried: string[];
}

export async function setManager(store: KeyValuePort, contactId: string, login: string): Promise<void> {
  await store.kvSet(MANAGERS_NS, contactId, login);
}

/** the chat's standing offer, if any (the inbox shows it) */
export async function currentOffer(store: KeyValuePort, conversationKey: string): Promise<Offer | null> {
  const raw = await store.kvGet(OFFERS_NS, conversationKey);
  return raw ? (JSON.parse(raw) as Offer) : null;
}

export function createRouter(deps: StaffActionDeps, opts: RoutingOptions) {
  const { store } = deps;

  /** answers whether this instance made the offer (another may have been first) */
  async function offer(conv: Conversation, to: string, tried: string[]): Promise<boolean> {
    if (!(await store.kvSet(ROUTING_NS, `${conv.key}:${tried.length}:${conv.handoff?.since ?? 0}`, to, { ifAbsent: true, ttlMs: 60_000 }))) return false;
    const next: Offer = { to, at: deps.now(), since: conv.handoff?.since ?? 0, tried: [...tried, to] };
    await store.kvSet(OFFERS_NS, conv.key, JSON.stringify(next), { ttlMs: 7 * 86_400_000 });
    return true;
  }

  /** one pass over the chats waiting for a person; answers how many were offered */
  async function run(): Promise<number> {
    const [team, online, chats] = await Promise.all([listStaffAccounts(store), onlineLogins(store), store.listConversations({ inHandoff: true, limit: 500 })]);
    const operators = team.filter((a) => a.role === "operator" && online.has(a.login)).map((a) => a.login);
    if (operators.length === 0) return 0;
    const offers = new Map<string, Offer | null>();
    for (const c of chats) offers.set(c.key, await currentOffer(store, c.key));
    // open chats per person: taken or assigned, and offered to them right now
    const open = new Map<string, number>();
    const add = (login: string, n: number) => open.set(login, Math.max(0, (open.get(login) ?? 0) + n));
    for (const c of chats) {
      const o = offers.get(c.key);
      if (c.handoff?.assignee) add(c.handoff.assignee, 1);
      else if (o && o.since === c.handoff?.since && deps.now() - o.at < opts.offerAfterMs) add(o.to, 1);
    }
    const free = (login: string) => (open.get(login) ?? 0) < opts.maxOpenChats;
    let offered = 0;
    for (const conv of [...chats].sort((a, b) => a.handoff!.since - b.handoff!.since)) {
      if (conv.handoff!.assignee) continue; // a person has it
      const stale = offers.get(conv.key);
      const last = stale && stale.since === conv.handoff!.since ? stale : null;
      if (last && deps.now() - last.at < opts.offerAfterMs) continue; // the offer still stands
      const tried = last ? last.tried : [];
      const manager = await store.kvGet(MANAGERS_NS, conv.contactId);
      let to: string | undefined;
      if (manager && !tried.includes(manager) && operators.includes(manager) && free(manager)) to = manager;
      if (!to) {
        const turn = (await store.kvIncr(ROUTING_NS, "round-robin", 1)).value;
        for (let i = 0; i < operators.length && !to; i++) {
          const candidate = operators[(turn + i) % operators.length]!;
          if (!tried.includes(candidate) && free(candidate)) to = candidate;
        }
      }
      // everyone was tried: start the round again rather than leave the chat with nobody
      if (!to && tried.length > 0) to = operators.find((o) => free(o) && o !== last?.to);
      if (!to || !(await offer(conv, to, to && tried.includes(to) ? [] : tried))) continue;
      add(to, 1);
      offered++;
    }
    return offered;
  }

  return { run };
}
