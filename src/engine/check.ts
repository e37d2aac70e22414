import type { Bundle, BundleProblem } from "./bundle.ts";
import { BundleError, LOCALES, loadBundleUnchecked, resolveStepRef } from "./bundle.ts";
import type { Step } from "./schema.ts";
import { isPhotoFile, photoFileProblem } from "../photos/files.ts";

/**
 * Structural proof of the shop's flows (`frontdesk flows check`):
 * every referenced step, text, queue, category exists; every step is reachable from
 * a shop entry point; from every step the customer can reach an end or a person
 * (no dead ends); every text exists in every locale.
 */

type Node = string; // "flow.step"

/** Where a step can lead. `person` marks steps that can hand over to staff themselves. */
export function stepEdges(step: Step): { next: string[]; person: boolean; terminal: boolean } {
  switch (step.kind) {
    case "say":
      return { next: step.next ? [step.next] : [], person: false, terminal: false };
    case "choose":
      return { next: step.options.map((o) => o.next), person: false, terminal: false };
    case "pick":
      return { next: [step.next, ...step.options.map((o) => o.next)], person: false, terminal: false };
    case "ask":
      // after maxFailures misses the customer is offered a person
      return { next: [step.next], person: true, terminal: false };
    case "branch":
      return { next: [...step.cases.map((c) => c.next), step.else], person: false, terminal: false };
    case "cart_show":
      return { next: [step.next, step.empty], person: false, terminal: false };
    case "cart_repeat":
      return { next: [step.next, step.none], person: false, terminal: false };
    case "feedback":
      return { next: [step.next], person: step.lowAtOrBelow !== undefined, terminal: false };
    case "handoff":
      return { next: step.resume ? [step.resume] : [], person: true, terminal: true };
    case "end":
      return { next: [], person: false, terminal: true };
    default:
      return { next: [step.next], person: false, terminal: false };
  }
}

/** Text keys a step shows. */
function stepTexts(step: Step): string[] {
  const keys: string[] = [];
  if ("text" in step && step.text) keys.push(step.text);
  if ("listLabel" in step && step.listLabel) keys.push(step.listLabel);
  if (step.kind === "ask") keys.push(step.retry);
  if (step.kind === "feedback" && step.lowText) keys.push(step.lowText);
  if ("options" in step) for (const o of step.options) keys.push(o.label);
  return keys;
}

/** Texts the engine itself uses (retry offers, opt-out, the handoff notices). */
export const ENGINE_TEXTS = [
  "engine.not_understood",
  "engine.offer_person",
  "engine.person_option",
  "engine.menu_option",
  "engine.in_queue",
  "engine.staff_joined",
  "engine.opted_out",
  "engine.order_status",
  "engine.choose_from_list",
  "engine.share_phone",
  "engine.handed_back",
  "waiting.soon",
  "waiting.closed",
  "waiting.closed_long",
  "waiting.ack_closed",
  "waiting.today",
  "waiting.tomorrow",
  "waiting.later",
  "engine.not_understood_close",
  "engine.not_understood_short",
  "welcome.short",
  "order_status.placed",
  "order_status.confirmed",
  "order_status.shipped",
  "order_status.delivered",
  "order_status.cancelled",
] as const;

/** Texts the engine uses for money (any cart or order), promo codes and payment, by the step kinds that need them. */
const MONEY_TEXTS = ["money.goods", "money.promo", "money.points", "money.delivery_fee", "money.delivery_courier", "money.delivery_paid", "money.delivery_free", "money.earned", "money.total", "money.earn", "money.set_offer"];
const PROMO_TEXTS = ["promo.applied", "promo.saved", "promo.min_order", "promo.unknown", "promo.expired", "promo.used_up", "promo.used_by_you"];
const PAY_TEXTS = ["pay.invoice_title", "pay.invoice_description", "pay.link", "pay.on_delivery_only", "pay.paid", "pay.refused", "money.invoice_delivery", "money.invoice_promo", "money.invoice_points"];

function textsByKind(bundle: Bundle): string[] {
  const kinds = new Set<string>();
  for (const flow of bundle.flows.values()) for (const def of Object.values(flow.steps)) kinds.add(def.kind);
  const out: string[] = [];
  if (["cart_show", "cart_repeat", "order"].some((k) => kinds.has(k))) out.push(...MONEY_TEXTS);
  if (kinds.has("apply_promo") || bundle.shop.promos.length > 0) out.push(...PROMO_TEXTS);
  if (kinds.has("pay")) out.push(...PAY_TEXTS);
  return out;
}

export function checkBundle(bundle: Bundle): BundleProblem[] {
  const problems: BundleProblem[] = [];
  const { shop, flows, files } = bundle;
  const nodes = new Map<Node, { flow: string; step: string; def: Step }>();
  for (const [flowId, flow] of flows) {
    for (const [stepId, def] of Object.entries(flow.steps)) nodes.set(`${flowId}.${stepId}`, { flow: flowId, step: stepId, def });
  }
  const fileOf = (flow: string) => files.flows.get(flow) ?? files.shop;

  // --- references and edges
  const edges = new Map<Node, Node[]>();
  const resolve = (ref: string, fromFlow: string, file: string, path: string): Node | undefined => {
    const { flow, step } = resolveStepRef(ref, fromFlow);
    const node = `${flow}.${step}`;
    if (!nodes.has(node)) {
      problems.push({ file, path, message: `goes to "${ref}", which does not exist` });
      return undefined;
    }
    return node;
  };
  for (const [flowId, flow] of flows) {
    const file = fileOf(flowId);
    resolve(flow.start, flowId, file, "start");
    for (const [stepId, def] of Object.entries(flow.steps)) {
      const out: Node[] = [];
      for (const ref of stepEdges(def).next) {
        const n = resolve(ref, flowId, file, `steps.${stepId}`);
        if (n) out.push(n);
      }
      edges.set(`${flowId}.${stepId}`, out);
      if (def.kind === "handoff" && !shop.queues[def.queue]) {
        problems.push({ file, path: `steps.${stepId}.queue`, message: `queue "${def.queue}" is not listed in shop.yaml queues` });
      }
      if (def.kind === "feedback" && def.lowAtOrBelow !== undefined && !shop.queues[def.lowQueue]) {
        problems.push({ file, path: `steps.${stepId}.lowQueue`, message: `queue "${def.lowQueue}" is not listed in shop.yaml queues` });
      }
      if (def.kind === "pick" && def.category && !def.category.includes("{{")) {
        if (!bundle.catalogue.categories.some((c) => c.id === def.category)) {
          problems.push({ file, path: `steps.${stepId}.category`, message: `category "${def.category}" is not in the catalogue` });
        }
      }
    }
  }

  // --- roots: every place the shop itself sends a customer
  const roots: { ref: string; path: string }[] = [
    { ref: shop.entry, path: "entry" },
    { ref: shop.menu, path: "menu" },
    { ref: shop.person, path: "person" },
    { ref: shop.stop, path: "stop" },
    ...shop.intents.map((i, n) => ({ ref: i.next, path: `intents.${n}.next` })),
    ...Object.entries(shop.deepLinks.audiences).map(([k, v]) => ({ ref: v.next, path: `deepLinks.audiences.${k}.next` })),
    ...Object.entries(shop.audiences).flatMap(([a, o]) => [
      ...(o.menu ? [{ ref: o.menu, path: `audiences.${a}.menu` }] : []),
      ...(o.person ? [{ ref: o.person, path: `audiences.${a}.person` }] : []),
    ]),
    ...Object.entries(shop.answers).flatMap(([k, ref]) => (ref ? [{ ref, path: `answers.${k}` }] : [])),
    ...(["order_delivered", "repeat_due", "lapse_due", "referral_rewarded", "handback"] as const).map((k) => ({
      ref: shop.events[k],
      path: `events.${k}`,
    })),
  ];
  const rootNodes: Node[] = [];
  for (const r of roots) {
    if (!r.ref.includes(".")) {
      problems.push({ file: files.shop, path: r.path, message: `"${r.ref}" must name a flow and a step, like customer.menu` });
      continue;
    }
    const n = resolve(r.ref, "", files.shop, r.path);
    if (n) rootNodes.push(n);
  }
  // "a person" must lead to a person, for the shop and for each audience's override
  const personRefs = [
    { ref: shop.person, path: "person" },
    ...Object.entries(shop.audiences).flatMap(([a, o]) => (o.person ? [{ ref: o.person, path: `audiences.${a}.person` }] : [])),
  ];
  for (const { ref, path } of personRefs) {
    const { flow, step } = resolveStepRef(ref, "");
    const node = nodes.get(`${flow}.${step}`);
    if (node && node.def.kind !== "handoff") problems.push({ file: files.shop, path, message: `"${ref}" must be a handoff step` });
  }

  // --- reachability from the roots
  const reached = new Set<Node>();
  const stack = [...rootNodes];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (reached.has(n)) continue;
    reached.add(n);
    for (const m of edges.get(n) ?? []) stack.push(m);
  }
  for (const [node, { flow, step }] of nodes) {
    if (!reached.has(node)) {
      problems.push({ file: fileOf(flow), path: `steps.${step}`, message: "unreachable: no entry point, menu, intent or step leads here" });
    }
  }

  // --- dead ends: steps from which neither an end nor a person can be reached
  const good = new Set<Node>();
  for (const [node, { def }] of nodes) {
    const e = stepEdges(def);
    if (e.terminal || e.person) good.add(node);
  }
  let changed = true;
  while (changed) {
    changed = false;
    for (const [node, out] of edges) {
      if (!good.has(node) && out.some((m) => good.has(m))) {
        good.add(node);
        changed = true;
      }
    }
  }
  for (const [node, { flow, step, def }] of nodes) {
    if (good.has(node)) continue;
    const why =
      def.kind === "say" && !def.next
        ? "dead end: says something and stops, with no next step"
        : "dead end: from here the customer can reach neither an end nor a person";
    problems.push({ file: fileOf(flow), path: `steps.${step}`, message: why });
  }

  // --- texts in every locale
  const engineTexts = [...ENGINE_TEXTS, ...textsByKind(bundle)];
  const used = new Set<string>(engineTexts);
  for (const [, { flow, step, def }] of nodes) {
    for (const key of stepTexts(def)) {
      used.add(key);
      for (const locale of LOCALES) {
        if (bundle.locales[locale][key] === undefined) {
          problems.push({ file: fileOf(flow), path: `steps.${step}`, message: `text "${key}" is missing in ${locale}` });
        }
      }
    }
  }
  for (const key of engineTexts) {
    for (const locale of LOCALES) {
      if (bundle.locales[locale][key] === undefined) {
        problems.push({ file: files.locales[locale], path: key, message: `engine text "${key}" is missing` });
      }
    }
  }
  const [first, ...rest] = LOCALES;
  for (const other of rest) {
    for (const key of Object.keys(bundle.locales[first!])) {
      if (bundle.locales[other][key] === undefined) {
        problems.push({ file: files.locales[other], path: key, message: `missing translation (present in ${first})` });
      }
    }
    for (const key of Object.keys(bundle.locales[other])) {
      if (bundle.locales[first!][key] === undefined) {
        problems.push({ file: files.locales[first!], path: key, message: `missing translation (present in ${other})` });
      }
    }
  }

  // --- catalogue integrity
  const categories = new Set(bundle.catalogue.categories.map((c) => c.id));
  const ids = new Set<string>();
  bundle.catalogue.products.forEach((p, i) => {
    if (!categories.has(p.category)) {
      problems.push({ file: files.catalogue, path: `products.${i}.category`, message: `category "${p.category}" is not defined` });
    }
    if (ids.has(p.id)) problems.push({ file: files.catalogue, path: `products.${i}.id`, message: `product id "${p.id}" is used twice` });
    ids.add(p.id);
    // a photo file is uploaded to each platform: it must be there before the first card
    const photoProblem = isPhotoFile(p.photo) ? photoFileProblem(files.dir, p.photo) : undefined;
    if (photoProblem) problems.push({ file: files.catalogue, path: `products.${i}.photo`, message: photoProblem });
  });
  return problems;
}

/** Load, validate and check; throws BundleError naming every problem. */
export async function loadBundle(dir: string): Promise<Bundle> {
  const { bundle, problems } = await loadBundleUnchecked(dir);
  if (!bundle) throw new BundleError(problems);
  const structural = checkBundle(bundle);
  if (structural.length > 0) throw new BundleError(structural);
  return bundle;
}
