import { createHash } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { basename, resolve, sep } from "node:path";

/**
 * Product photos that are files in the flows folder (catalogue `photo: photos/bar_choco.png`)
 * rather than https URLs. Each platform gets the file once and answers an id of its own,
 * which src/photos/cache.ts keeps per (channel, account, content hash).
 */

/**
 * a path in flows/photos/ of lower-case names, no dots but the extension: nothing else in
 * flows/ (or outside it) can be named, uploaded or served
 */
export const PHOTO_FILE = /^photos\/[a-z0-9_-]+(\/[a-z0-9_-]+)*\.(png|jpe?g)$/;
/** the smallest platform cap on an uploaded photo (WhatsApp images: 5 MB; Telegram 10 MB) */
export const PHOTO_MAX_BYTES = 5_000_000;

export interface PhotoFile {
  /** as the catalogue names it: photos/bar_choco.png */
  ref: string;
  /** the file name alone (bar_choco.png), for multipart uploads */
  name: string;
  mime: "image/png" | "image/jpeg";
  bytes: Buffer;
  /** sha256 of the bytes, hex: a new picture under the same name is a new upload */
  hash: string;
}

/** a photo reference that is a file in flows/ (anything but an http(s) URL) */
export function isPhotoFile(photo: string | undefined): photo is string {
  return photo !== undefined && photo !== "" && !/^https?:\/\//i.test(photo);
}

export function mimeOf(ref: string): PhotoFile["mime"] {
  return /\.png$/i.test(ref) ? "image/png" : "image/jpeg";
}

/** the file's absolute path, or undefined when `ref` is not a safe name inside `dir` */
export function photoPath(dir: string, ref: string): string | undefined {
  if (!PHOTO_FILE.test(ref)) return undefined;
  const root = resolve(dir);
  const path = resolve(root, ref);
  return path.startsWith(root + sep) ? path : undefined;
}

/** What is wrong with a catalogue photo file (flows check), or undefined when it is fine. */
export function photoFileProblem(dir: string, ref: string): string | undefined {
  const path = photoPath(dir, ref);
  if (!path) return `photo "${ref}" is not a file in the flows folder's photos/ (like photos/bar_choco.png)`;
  if (!existsSync(path)) return `photo file ${path} does not exist`;
  const st = statSync(path);
  if (!st.isFile()) return `photo ${path} is not a file`;
  if (st.size === 0) return `photo file ${path} is empty`;
  if (st.size > PHOTO_MAX_BYTES) return `photo file ${path} is ${st.size} bytes; platforms take up to ${PHOTO_MAX_BYTES}`;
  return undefined;
}

/** Reads photo files once (again when the file changed), so a send does not hit the disk each time. */
export class PhotoFiles {
  private readonly memo = new Map<string, { mtimeMs: number; size: number; file: PhotoFile }>();

  constructor(private readonly dir: () => string) {}

  /** rejects when the name is unsafe or the file cannot be read */
  async load(ref: string): Promise<PhotoFile> {
    const path = photoPath(this.dir(), ref);
    if (!path) throw new Error(`photo "${ref}" is not a file in the flows folder`);
    const st = await stat(path);
    const known = this.memo.get(path);
    if (known && known.mtimeMs === st.mtimeMs && known.size === st.size) return known.file;
    const bytes = await readFile(path);
    const file: PhotoFile = { ref, name: basename(path), mime: mimeOf(ref), bytes, hash: createHash("sha256").update(bytes).digest("hex") };
    this.memo.set(path, { mtimeMs: st.mtimeMs, size: st.size, file });
    return file;
  }
}
