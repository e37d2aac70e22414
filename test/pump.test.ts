import { describe, expect, it } from "vitest";
import { Pump } from "../src/pipeline/pump.ts";

/** a pump whose handler holds each item until the test lets it go */
function heldPump(concurrency: number) {
  const releases = new Map<number, () => void>();
  const handled: number[] = [];
  let running = 0;
  let most = 0;
  const pump = new Pump<number>({
    name: "test",
    concurrency,
    pollMs: 60_000,
    claim: async () => [],
    handle: (item) =>
      new Promise<number[]>((resolve) => {
        running++;
        most = Math.max(most, running);
        releases.set(item, () => {
          running--;
          handled.push(item);
          resolve([]);
        });
      }),
    onError: (err) => {
      throw err;
    },
  });
  const release = async (item: number) => {
    releases.get(item)!();
    await new Promise((r) => setImmediate(r));
  };
  return { pump, release, handled, most: () => most, started: () => [...releases.keys()] };
}

describe("pump", () => {
  it("handles work leased to it on the way no more than `concurrency` at a time; the rest waits its turn, in order", async () => {
    const { pump, release, handled, most, started } = heldPump(2);
    pump.start();
    pump.offer([1, 2, 3, 4, 5]);
    expect(started()).toEqual([1, 2]);
    expect(pump.free()).toBe(0);
    await release(1);
    expect(started()).toEqual([1, 2, 3]);
    for (const item of [2, 3, 4, 5]) await release(item);
    expect(handled).toEqual([1, 2, 3, 4, 5]);
    expect(most()).toBe(2);
    expect(pump.free()).toBe(2);
    await pump.stop();
  });

  it("stops only when the waiting work is done too (it was leased to this process)", async () => {
    const { pump, release, handled } = heldPump(1);
    pump.start();
    pump.offer([1, 2]);
    let stopped = false;
    const stopping = pump.stop().then(() => (stopped = true));
    await release(1);
    expect(stopped).toBe(false);
    await release(2);
    await stopping;
    expect(handled).toEqual([1, 2]);
  });
});
