import jsQRModule from "jsqr";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STAFF_TOKEN, startHarness, type Harness } from "./support/harness.ts";
import { addStaff, signIn, staffPost, ORIGIN } from "./support/staff.ts";

/**
 * The owner makes a source of their own (the gym flyer), gets its deep link on every
 * channel that is on and a QR code to print; the code, decoded as a phone camera
 * would, is exactly that link — and a customer who follows it is counted under it.
 */
let h: Harness;
// jsqr is CommonJS with an ES-style default: whichever the loader hands over is the decoder
type Decode = (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null;
const jsQR = ((jsQRModule as unknown as { default?: Decode }).default ?? jsQRModule) as unknown as Decode;

beforeAll(async () => {
  h = await startHarness();
  await addStaff(h.store, "owner", "owner");
  await addStaff(h.store, "vera", "viewer");
});
afterAll(async () => h?.close());

function decodePng(body: Buffer): string | undefined {
  const png = PNG.sync.read(body);
  return jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height)?.data;
}

describe("the owner's own sources", () => {
  it("creates gym_flyer and lists its deep link for every channel that is on", async () => {
    const created = await h.staff("POST", "/api/sources", { name: "gym_flyer", title: "Флаер в спортзале" });
    expect(created.status).toBe(201);
    const list = await h.staff("GET", "/api/sources");
    const gym = list.json.sources.find((s: { name: string }) => s.name === "gym_flyer");
    expect(gym.title).toBe("Флаер в спортзале");
    const byChannel = Object.fromEntries(gym.links.map((l: { channel: string; url: string }) => [l.channel, l.url]));
    expect(Object.keys(byChannel).sort()).toEqual(["max", "telegram", "vk", "web", "whatsapp"]);
    expect(byChannel.telegram).toMatch(/^https:\/\/t\.me\/\w+\?start=src_gym_flyer$/);
    expect(byChannel.vk).toMatch(/^https:\/\/vk\.me\/club\d+\?ref=src_gym_flyer$/);
    expect(byChannel.web).toMatch(/\/\?start=src_gym_flyer$/);
    expect((await h.staff("POST", "/api/sources", { name: "gym_flyer", title: "ещё раз" })).status).toBe(409);
    expect((await h.staff("POST", "/api/sources", { name: "Gym Flyer!", title: "x" })).status).toBe(400);
  });

  it("gives a QR code (PNG and SVG) that decodes to the link of the channel asked for", async () => {
    const links = (await h.staff("GET", "/api/sources")).json.sources[0].links as { channel: string; url: string }[];
    for (const link of links) {
      const png = await h.app.http.inject({ url: `/api/sources/gym_flyer/qr.png?channel=${link.channel}`, headers: { authorization: `Bearer ${STAFF_TOKEN}` } });
      expect(png.statusCode).toBe(200);
      expect(png.headers["content-type"]).toBe("image/png");
      expect(decodePng(png.rawPayload), link.channel).toBe(link.url);
    }
    const svg = await h.app.http.inject({ url: "/api/sources/gym_flyer/qr.svg?channel=telegram", headers: { authorization: `Bearer ${STAFF_TOKEN}` } });
    expect(svg.headers["content-type"]).toContain("image/svg+xml");
    expect(svg.body).toMatch(/^<svg[^>]+viewBox/);
    expect((await h.app.http.inject({ url: "/api/sources/nope/qr.png", headers: { authorization: `Bearer ${STAFF_TOKEN}` } })).statusCode).toBe(404);
  });

  it("a viewer reads the sources but cannot create one; without a session nothing is shown", async () => {
    const vera = await signIn(h.app.http, "vera");
    const read = await h.app.http.inject({ url: "/api/sources", headers: { host: "localhost:80", cookie: vera.cookie } });
    expect(read.statusCode).toBe(200);
    const post = await h.app.http.inject({
      method: "POST",
      url: "/api/sources",
      headers: { host: "localhost:80", origin: ORIGIN, cookie: vera.cookie, "x-csrf-token": vera.csrf, "content-type": "application/json" },
      payload: JSON.stringify({ name: "viewer_try", title: "нет" }),
    });
    expect(post.statusCode).toBe(403);
    expect((await h.app.http.inject({ url: "/api/sources" })).statusCode).toBe(401);
    expect((await h.app.http.inject({ url: "/api/sources/gym_flyer/qr.png" })).statusCode).toBe(401);
    const owner = await signIn(h.app.http, "owner");
    const made = await staffPost(h.app.http, owner, "/api/sources", { name: "counter_qr", title: "QR на кассе" });
    expect(made.statusCode).toBe(201);
  });

  it("counts a customer who came through the flyer's link under gym_flyer", async () => {
    await h.say("telegram", "5550001", { text: "/start", source: "src_gym_flyer" });
    h.clock.advance(60_000);
    const r = await h.staff("GET", `/api/report/sources?to=${h.clock.now()}`);
    expect(r.json.rows.find((x: { source: string }) => x.source === "gym_flyer")?.contacts).toBe(1);
  });
});
