import type { Logger } from "pino";
import type { SendResult } from "../channel/port.ts";
import type { Channel } from "../model/channel.ts";
import type { KeyValuePort } from "../store/kv.ts";
import type { PhotoFile, PhotoFiles } from "./files.ts";

/**
 * A photo file goes to each platform once: the platform's id for it (Telegram file_id,
 * MAX token, VK photo<owner>_<id>, WhatsApp media id) is kept in the key-value store per
 * (channel, bot/account, content hash), so every instance and every restart reuses it.
 * A cached id the platform refuses is dropped and the file goes up again, once; if that
 * fails too, the adapter's failure reaches the sender, which sends the card as text.
 */
export interface PhotoDeps {
  files: PhotoFiles;
  kv: Pick<KeyValuePort, "kvGet" | "kvSet" | "kvDelete">;
  log?: Logger;
}

/** how an adapter sends one part with a photo file */
export interface PhotoSend {
  /** send with the platform's id of the file */
  withId(id: string): Promise<SendResult>;
  /**
   * upload the file and send (Telegram: one multipart sendPhoto; others: upload, then
   * withId); answers the id the platform gave the file, when it gave one
   */
  withFile(file: PhotoFile): Promise<{ result: SendResult; id?: string }>;
}

/** how long an instance's upload keeps others waiting for its id, at most */
const UPLOAD_LOCK_MS = 10_000;
const UPLOAD_WAIT_MS = 5_000;

export const photoNamespace = (channel: Channel): string => `photo.${channel}`;

export class PhotoCache {
  /** uploads in flight in this process, by key: a second card waits and reuses the id */
  private readonly inflight = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly deps: PhotoDeps,
    private readonly channel: Channel,
    /** the bot or account the ids belong to (ids of one bot mean nothing to another) */
    private readonly account: string,
  ) {}

  async send(ref: string, how: PhotoSend): Promise<SendResult> {
    let file: PhotoFile;
    try {
      file = await this.deps.files.load(ref);
    } catch (err) {
      return { ok: false, error: { kind: "permanent", message: `photo ${ref}: ${err instanceof Error ? err.message : String(err)}` } };
    }
    const ns = photoNamespace(this.channel);
    const key = `${this.account}:${file.hash}`;

    const cached = await this.get(ns, key);
    if (cached) {
      const result = await how.withId(cached);
      if (result.ok || result.error.kind !== "permanent") return result;
      // refused: the id expired or belongs to something else; forget it and upload once more
      this.deps.log?.warn({ channel: this.channel, photo: ref, message: result.error.message }, "cached photo id refused; uploading again");
      await this.deps.kv.kvDelete(ns, key).catch(() => false);
      return this.upload(ns, key, file, how, cached);
    }
    return this.upload(ns, key, file, how);
  }

  private async upload(ns: string, key: string, file: PhotoFile, how: PhotoSend, refused?: string): Promise<SendResult> {
    const running = this.inflight.get(key);
    if (running) {
      const id = await running.catch(() => undefined);
      if (id && id !== refused) return how.withId(id);
    }
    let done!: (id: string | undefined) => void;
    const mine = new Promise<string | undefined>((r) => (done = r));
    this.inflight.set(key, mine);
    try {
      // another instance (or an earlier call) may have uploaded it meanwhile
      const other = await this.get(ns, key);
      if (other && other !== refused) {
        done(other);
        return how.withId(other);
      }
      // another instance uploading the same file right now: wait a little for its id
      const lock = `${key}:uploading`;
      const mineLock = await this.deps.kv.kvSet(ns, lock, "1", { ifAbsent: true, ttlMs: UPLOAD_LOCK_MS }).catch(() => true);
      if (!mineLock) {
        const theirs = await this.waitFor(ns, key, refused);
        if (theirs) {
          done(theirs);
          return how.withId(theirs);
        }
      }
      const { result, id } = await how.withFile(file).catch((err: unknown) => ({
        result: { ok: false, error: { kind: "permanent", message: `photo upload: ${err instanceof Error ? err.message : String(err)}` } } as SendResult,
        id: undefined,
      }));
      if (id) {
        await this.deps.kv.kvSet(ns, key, id).catch((err: unknown) => {
          this.deps.log?.warn({ err, channel: this.channel }, "could not remember a photo id; it is uploaded again next time");
        });
      }
      if (mineLock) await this.deps.kv.kvDelete(ns, lock).catch(() => false);
      done(id);
      return result;
    } finally {
      done(undefined);
      if (this.inflight.get(key) === mine) this.inflight.delete(key);
    }
  }

  /** another instance's upload: its id once it is stored (undefined after UPLOAD_WAIT_MS: upload ourselves) */
  private async waitFor(ns: string, key: string, refused: string | undefined): Promise<string | undefined> {
    const until = Date.now() + UPLOAD_WAIT_MS;
    while (Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
      const id = await this.get(ns, key);
      if (id && id !== refused) return id;
    }
    return undefined;
  }

  private async get(ns: string, key: string): Promise<string | null> {
    try {
      return await this.deps.kv.kvGet(ns, key);
    } catch (err) {
      this.deps.log?.warn({ err, channel: this.channel }, "could not read the photo id cache");
      return null;
    }
  }
}
