import { KeyValueDelegate } from "./kv.ts";
import type { RedisLink } from "./redis-link.ts";
import { SCRIPTS, type ScriptName } from "./redis-scripts.ts";

/**
 * What every part of the Redis store (redis.ts) stands on: the connection, the clock,
 * the key prefix, plain commands and the scripts (lua/*.lua, loaded by redis-scripts.ts).
 * The parts are stacked by job, each a file: journal → contacts → outbox and timers →
 * analytics → RedisStore (the step commit, touchpoints and orders, lifecycle).
 */
export abstract class RedisStoreBase extends KeyValueDelegate {
  /** key prefix: `{prefix}` on a cluster, so that all keys share its slot */
  protected readonly p: string;
  /** "<max wait>;<channel>:<interval ms>:<burst>;…", set by sendBudget.configure ('' for none) */
  protected budgets = "";

  protected constructor(
    protected readonly link: RedisLink,
    protected readonly clock: () => number,
  ) {
    super();
    this.p = link.prefix;
  }

  protected cmd(args: string[]): Promise<unknown> {
    return this.link.send(args);
  }

  /**
   * Scripts build their key names from the prefix (ARGV[1]); the prefix is also
   * declared as their one key, so a cluster runs them on the node of the shop's slot.
   */
  protected async run(name: ScriptName, args: string[]): Promise<unknown> {
    const script = SCRIPTS[name];
    try {
      try {
        return await this.link.send(["EVALSHA", script.sha, "1", this.p, this.p, ...args]);
      } catch (err) {
        if (!(err instanceof Error) || !err.message.startsWith("NOSCRIPT")) throw err;
        return await this.link.send(["EVAL", script.source, "1", this.p, this.p, ...args]);
      }
    } catch (err) {
      // a Lua error's line, as the file and line it is on (see redis-scripts.ts)
      if (err instanceof Error && err.message.includes("user_script:")) err.message = script.describe(err.message);
      throw err;
    }
  }

  protected k(name: string): string {
    return `${this.p}:${name}`;
  }
  protected kConv(ck: string): string {
    return `${this.p}:{c:${ck}}`;
  }
  protected kContact(id: string): string {
    return `${this.p}:{p:${id}}`;
  }
}
