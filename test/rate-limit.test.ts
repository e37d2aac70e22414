import { describe, expect, it } from "vitest";
import { RateLimiter } from "../src/pipeline/rate-limit.ts";

/** 10 messages/s overall, 1/s per chat with a burst of 5 (Telegram's shape, smaller) */
function limiter() {
  let t = 1_000_000;
  const rl = new RateLimiter(() => t);
  rl.configure("telegram", { perSecond: 10, perChatPerSecond: 1, perChatBurst: 5 });
  return { rl, advance: (ms: number) => (t += ms) };
}

describe("rate limiter", () => {
  it("books slots in order: the burst goes at once, the rest waits its turn", () => {
    const { rl } = limiter();
    const waits = Array.from({ length: 15 }, (_, i) => rl.reserve("telegram", `chat${i}`));
    expect(waits.slice(0, 10)).toEqual(Array(10).fill(0));
    expect(waits.slice(10)).toEqual([100, 200, 300, 400, 500]);
  });

  it("one chat gets its burst of 5, then one message a second", () => {
    const { rl } = limiter();
    const waits = Array.from({ length: 7 }, () => rl.reserve("telegram", "chat"));
    // the 6th and 7th wait for the chat's own bucket (the overall one has room)
    expect(waits).toEqual([0, 0, 0, 0, 0, 1000, 2000]);
  });

  it("a wait longer than the caller sits through is not booked, so it does not push later messages out", () => {
    const { rl, advance } = limiter();
    // 500 chats at once, senders waiting at most 2 s inline: 10 now + 20 booked within 2 s
    const waits = Array.from({ length: 500 }, (_, i) => rl.reserve("telegram", `chat${i}`, 2000));
    expect(waits.filter((w) => w <= 2000)).toHaveLength(30);
    // the 470 deferred ones took nothing: 3 s later the next slot is 1 s away at most
    advance(3000);
    expect(rl.reserve("telegram", "late", 2000)).toBeLessThanOrEqual(1000);
  });

  it("a 429 pauses the whole channel", () => {
    const { rl, advance } = limiter();
    rl.pause("telegram", 5000);
    expect(rl.reserve("telegram", "a", 2000)).toBe(5000);
    advance(5000);
    expect(rl.reserve("telegram", "a", 2000)).toBe(0);
  });
});
