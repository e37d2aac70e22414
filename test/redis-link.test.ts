import { describe, expect, it } from "vitest";
import { clusterPrefix, sendPatiently } from "../src/store/redis-link.ts";

describe("redis link", () => {
  it("sends again while the server says the command was not run yet (AOF loading, cluster failover)", async () => {
    const answers = [new Error("LOADING Redis is loading the dataset in memory"), new Error("TRYAGAIN slot moving"), "OK"];
    let calls = 0;
    const got = await sendPatiently(async () => {
      const a = answers[calls++]!;
      if (a instanceof Error) throw a;
      return a;
    });
    expect(got).toBe("OK");
    expect(calls).toBe(3);
  });

  it("passes any other error on at once: a script error must not run twice", async () => {
    let calls = 0;
    await expect(
      sendPatiently(async () => {
        calls++;
        throw new Error("ERR Error running script: STALE in_1");
      }),
    ).rejects.toThrow(/STALE/);
    expect(calls).toBe(1);
  });

  it("gives a prefix a hash tag of its own unless it has one", () => {
    expect(clusterPrefix("fd")).toBe("{fd}");
    expect(clusterPrefix("{shop}:fd")).toBe("{shop}:fd");
    expect(clusterPrefix("ромашка")).toBe("{ромашка}");
  });
});
