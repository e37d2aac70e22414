import type { Bundle } from "../engine/bundle.ts";
import type { EngineResult } from "../engine/engine.ts";
import type { Conversation } from "../model/domain.ts";
import type { InboundEvent } from "../model/inbound.ts";
import type { KeyValuePort } from "../store/kv.ts";

/**
 * Promo codes with an overall limit count their uses in the key-value port, shared by
 * every instance. The engine sees the count (to refuse a used-up code with its reason);
 * an order that uses a code books its use when the step commits: a marker per order
 * (so a replayed step never counts twice) and an atomic increment, given back when the
 * limit was passed meanwhile — then the step is run again seeing the code used up, so
 * two customers at once can never both take the last use.
 */
const USES = "promo-uses";
const MARKS = "promo-use";

function limited(bundle: Bundle): Map<string, number> {
  return new Map(bundle.shop.promos.filter((p) => p.limit !== undefined).map((p) => [p.code, p.limit!]));
}

/** The counts the engine needs for this event: only when the chat has a code or the message may carry one. */
export async function promoUsesFor(kv: KeyValuePort, bundle: Bundle, conv: Conversation | null, e: InboundEvent): Promise<Record<string, number>> {
  const codes = limited(bundle);
  if (codes.size === 0) return {};
  const text = e.type === "message" ? `${e.text ?? ""} ${e.source ?? ""}`.toLowerCase() : "";
  const wanted = [...codes.keys()].filter((c) => conv?.vars.promo_code === c || text.includes(c.toLowerCase()));
  const out: Record<string, number> = {};
  await Promise.all(wanted.map(async (c) => (out[c] = Number((await kv.kvGet(USES, c)) ?? 0))));
  return out;
}

/** Book the uses of this step's new orders; answers the codes that were used up meanwhile (run the step again). */
export async function bookPromoUses(kv: KeyValuePort, bundle: Bundle, result: EngineResult): Promise<string[]> {
  const codes = limited(bundle);
  const lost: string[] = [];
  for (const order of result.orders) {
    const code = order.totals?.promoCode;
    const limit = code ? codes.get(code) : undefined;
    if (!code || limit === undefined || order.createdAt !== order.updatedAt) continue;
    const fresh = await kv.kvSet(MARKS, `${code}:${order.id}`, "1", { ifAbsent: true });
    if (!fresh) continue; // this order's use is booked already (a replay)
    const { value } = await kv.kvIncr(USES, code, 1);
    if (value > limit) {
      await kv.kvIncr(USES, code, -1);
      await kv.kvDelete(MARKS, `${code}:${order.id}`);
      lost.push(code);
    }
  }
  return lost;
}
