import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { SendResult } from "../src/channel/port.ts";
import { PhotoCache, type PhotoSend } from "../src/photos/cache.ts";
import { PhotoFiles } from "../src/photos/files.ts";

/** The id cache alone, as several instances share it: a key-value store in memory. */
function memoryKv() {
  const m = new Map<string, string>();
  return {
    m,
    async kvGet(ns: string, key: string) {
      return m.get(`${ns}/${key}`) ?? null;
    },
    async kvSet(ns: string, key: string, value: string, opts?: { ifAbsent?: boolean }) {
      if (opts?.ifAbsent && m.has(`${ns}/${key}`)) return false;
      m.set(`${ns}/${key}`, value);
      return true;
    },
    async kvDelete(ns: string, key: string) {
      return m.delete(`${ns}/${key}`);
    },
  };
}

const dir = mkdtempSync(join(tmpdir(), "frontdesk-photo-cache-"));
mkdirSync(join(dir, "photos"));
writeFileSync(join(dir, "photos", "a.png"), Buffer.from("\x89PNG fake"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ok: SendResult = { ok: true, platformMessageIds: ["m"] };
function platform() {
  let uploads = 0;
  const how: PhotoSend = {
    withId: async (id) => (id.startsWith("id") ? ok : { ok: false, error: { kind: "permanent", message: "bad id" } }),
    withFile: async () => {
      uploads++;
      await new Promise((r) => setTimeout(r, 120));
      return { result: ok, id: `id${uploads}` };
    },
  };
  return { how, uploads: () => uploads };
}

describe("photo id cache", () => {
  it("two instances sending the same file at once upload it once", async () => {
    const kv = memoryKv();
    const files = new PhotoFiles(() => dir);
    const a = new PhotoCache({ files, kv }, "vk", "1");
    const b = new PhotoCache({ files, kv }, "vk", "1");
    const p = platform();
    const results = await Promise.all([a.send("photos/a.png", p.how), b.send("photos/a.png", p.how), a.send("photos/a.png", p.how)]);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(p.uploads()).toBe(1);
    // the lock is gone, the id stays
    expect([...kv.m.keys()].filter((k) => k.endsWith(":uploading"))).toEqual([]);
    expect([...kv.m.values()]).toEqual(["id1"]);
  });

  it("an unreadable or unsafe file is a permanent failure (the sender sends the card as text)", async () => {
    const c = new PhotoCache({ files: new PhotoFiles(() => dir), kv: memoryKv() }, "max", "1");
    for (const ref of ["photos/missing.png", "../etc/passwd.png", "photos/../../x.png"]) {
      const r = await c.send(ref, platform().how);
      expect(r.ok ? "ok" : r.error.kind, ref).toBe("permanent");
    }
  });
});
