import QRCode from "qrcode";
import { z } from "zod";
import type { KeyValuePort } from "../store/kv.ts";

/**
 * The owner's own sources — the gym flyer, the counter, the courier's card: a name
 * that becomes the deep-link payload `src_<name>` on every channel that is on, and a
 * printable QR code of each link. Kept in the key-value port (namespace "sources");
 * a contact who first comes through one carries it as its source in every report.
 */
const NS = "sources";
export const SourceName = z
  .string()
  .regex(/^[a-z0-9_]{2,40}$/, "латиница в нижнем регистре, цифры и _ (2–40 знаков), например gym_flyer");
export const NewSource = z.object({ name: SourceName, title: z.string().trim().min(1).max(80) }).strict();
const Stored = z.object({ name: SourceName, title: z.string(), createdAt: z.number(), createdBy: z.string() });
export type OwnerSource = z.infer<typeof Stored>;

export interface SourceLink {
  channel: string;
  url: string;
}

export const payloadOf = (name: string) => `src_${name}`;

/** creates it; false when a source of that name exists */
export async function createSource(kv: KeyValuePort, input: z.infer<typeof NewSource>, by: string, now: number): Promise<boolean> {
  const record: OwnerSource = { ...input, createdAt: now, createdBy: by };
  return kv.kvSet(NS, input.name, JSON.stringify(record), { ifAbsent: true });
}

export async function listSources(kv: KeyValuePort): Promise<OwnerSource[]> {
  const out: OwnerSource[] = [];
  for (const e of await kv.kvList(NS, 500)) {
    const parsed = Stored.safeParse(safeJson(e.value));
    if (parsed.success) out.push(parsed.data);
  }
  return out;
}

export async function getSource(kv: KeyValuePort, name: string): Promise<OwnerSource | null> {
  const raw = await kv.kvGet(NS, name);
  const parsed = raw === null ? null : Stored.safeParse(safeJson(raw));
  return parsed?.success ? parsed.data : null;
}

export async function deleteSource(kv: KeyValuePort, name: string): Promise<boolean> {
  return kv.kvDelete(NS, name);
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return null;
  }
}

/** a QR code that prints sharp at any size (SVG) or as a 1024 px picture (PNG), with a quiet zone */
export function qrSvg(url: string): Promise<string> {
  return QRCode.toString(url, { type: "svg", errorCorrectionLevel: "M", margin: 4 });
}
export function qrPng(url: string): Promise<Buffer> {
  return QRCode.toBuffer(url, { type: "png", errorCorrectionLevel: "M", margin: 4, width: 1024 });
}
