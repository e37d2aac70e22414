import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Channel } from "../src/model/channel.ts";
import { startFakeMax } from "./fakes/max-api.ts";
import { startFakeTelegram } from "./fakes/telegram-api.ts";
import { startFakeVk } from "./fakes/vk-api.ts";
import { startFakeWhatsApp } from "./fakes/whatsapp-api.ts";
import { Customer } from "./support/customer.ts";
import { startHarness, type Fakes, type Harness } from "./support/harness.ts";

/**
 * #15: the catalogue's photos are files in flows/photos/, uploaded to each platform once
 * and then sent by the platform's own id (kept in the store's key-value records, so a
 * restart or another instance does not upload again). A cached id the platform refuses
 * is dropped and the file goes up again, once; the card arrives either way.
 */
type Platform = Exclude<Channel, "web">;

/** per platform: how many uploads the fake took, and how it forgets what was uploaded */
const platform: Record<Platform, { uploads: (f: Fakes) => number; forget: (f: Fakes) => void; byId: RegExp; uploaded: RegExp; user: (n: number) => string }> = {
  telegram: { uploads: (f) => f.telegram.uploads().length, forget: (f) => f.telegram.revokeFiles(), uploaded: /^attach:\/\//, byId: /^AgAC/, user: (n) => String(6400000000 + n) },
  whatsapp: { uploads: (f) => f.whatsapp.uploads().length, forget: (f) => f.whatsapp.expireMedia(), uploaded: /^media:\d+$/, byId: /^media:\d+$/, user: (n) => String(79260000700 + n) },
  vk: { uploads: (f) => f.vk.uploads().filter((u) => u.saved).length, forget: (f) => f.vk.deletePhotos(), uploaded: /^photo-\d+_\d+_\w+$/, byId: /^photo-\d+_\d+_\w+$/, user: (n) => String(5100000 + n) },
  max: { uploads: (f) => f.max.uploads().length, forget: (f) => f.max.revokeUploads(), uploaded: /^upload:\{"photos"/, byId: /^upload:\{"photos"/, user: (n) => String(7100000 + n) },
};
const PLATFORMS = Object.keys(platform) as Platform[];

describe("photo files: one upload per platform, then its id", () => {
  let fakes: Fakes;
  let dataDir: string;
  let h: Harness;
  let n = 0;
  beforeAll(async () => {
    fakes = { telegram: await startFakeTelegram(), whatsapp: await startFakeWhatsApp(), vk: await startFakeVk(), max: await startFakeMax() };
    dataDir = mkdtempSync(join(tmpdir(), "frontdesk-photos-"));
    h = await startHarness({ fakes, dataDir });
  });
  afterAll(async () => {
    await h?.close();
    await Promise.all([fakes.telegram.close(), fakes.whatsapp.close(), fakes.vk.close(), fakes.max.close()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const card = async (channel: Platform, product = "Шоколадный брауни") => {
    const c = new Customer(h, channel, platform[channel].user(++n));
    await c.do({ start: null });
    const replies = await c.tap(product);
    const last = replies.at(-1)!;
    expect(last.text).toContain(product);
    expect(last.choices.map((x) => x.label)).toContain("🛒 12 шт.");
    // WhatsApp lists take no image header: there the photo is the message just before the card
    const photo = replies.find((r) => r.photoUrl)?.photoUrl;
    return { ...last, ...(photo ? { photoUrl: photo } : {}) };
  };

  for (const channel of PLATFORMS) {
    it(`${channel}: two customers open the same card → one upload; the second card goes by the platform's id`, async () => {
      const before = platform[channel].uploads(fakes);
      const first = await card(channel);
      expect(first.photoUrl).toMatch(platform[channel].uploaded);
      expect(platform[channel].uploads(fakes)).toBe(before + 1);
      const second = await card(channel);
      expect(second.photoUrl).toMatch(platform[channel].byId);
      expect(platform[channel].uploads(fakes)).toBe(before + 1);
      // another product is another file: one more upload
      await card(channel, "Арахис и карамель");
      expect(platform[channel].uploads(fakes)).toBe(before + 2);
    });
  }

  it("the ids are in the store: after a restart on the same data dir nothing is uploaded again", async () => {
    const before = Object.fromEntries(PLATFORMS.map((c) => [c, platform[c].uploads(fakes)]));
    await h.close();
    h = await startHarness({ fakes, dataDir });
    for (const channel of PLATFORMS) {
      const got = await card(channel);
      expect(got.photoUrl, channel).toMatch(platform[channel].byId);
      expect(platform[channel].uploads(fakes), channel).toBe(before[channel]);
    }
  });

  for (const channel of PLATFORMS) {
    it(`${channel}: a cached id the platform refuses → one fresh upload, and the card still arrives with its photo`, async () => {
      await card(channel); // cached by now
      const before = platform[channel].uploads(fakes);
      platform[channel].forget(fakes);
      const got = await card(channel);
      expect(got.photoUrl).toMatch(platform[channel].uploaded);
      expect(platform[channel].uploads(fakes)).toBe(before + 1);
      // and the fresh id is the one kept
      const again = await card(channel);
      expect(again.photoUrl).toMatch(platform[channel].byId);
      expect(platform[channel].uploads(fakes)).toBe(before + 1);
    });
  }

  it("an upload the platform refuses → the card as text with its buttons (WhatsApp media upload error)", async () => {
    // a product not uploaded yet on this number
    fakes.whatsapp.failUploads(1, { status: 400, code: 131053, message: "Media upload error" });
    const got = await card("whatsapp", "Шоколадный коктейль");
    expect(got.photoUrl).toBeUndefined();
    expect(got.text).toContain("Шоколадный коктейль");
  });
});

describe("web chat: photo files served by the app", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  it("the card's photo URL serves the image with its type and long cache; traversal is refused", async () => {
    await h.say("web", "w1", "/start");
    const replies = await h.tap("web", "w1", "Шоколадный брауни");
    const url = replies.at(-1)!.photoUrl!;
    expect(url).toMatch(/^\/webchat\/photos\/bar_choco\.png\?v=[0-9a-f]{16}$/);
    const res = await h.app.http.inject({ method: "GET", url });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("image/png");
    expect(res.headers["cache-control"]).toContain("immutable");
    expect(res.rawPayload.subarray(1, 4).toString()).toBe("PNG");
    const etag = String(res.headers.etag);
    expect((await h.app.http.inject({ method: "GET", url, headers: { "if-none-match": etag } })).statusCode).toBe(304);
    // without the version: cached briefly
    expect((await h.app.http.inject({ method: "GET", url: "/webchat/photos/bar_choco.png" })).headers["cache-control"]).toBe("public, max-age=300");
    for (const bad of [
      "/webchat/photos/../catalogue.yaml",
      "/webchat/photos/..%2Fcatalogue.yaml",
      "/webchat/photos/%2e%2e/%2e%2e/package.json",
      "/webchat/photos/..%2F..%2Fpackage.json",
      "/webchat/photos/nope.png",
      "/webchat/photos/bar_choco.PNG",
      "/webchat/photos/.%2Fbar_choco.png",
    ]) {
      const r = await h.app.http.inject({ method: "GET", url: bad });
      expect(r.statusCode, bad).toBe(404);
      expect(r.body, bad).not.toContain("products:");
    }
  });
});
