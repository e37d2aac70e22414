import { randomBytes } from "node:crypto";

/**
 * Time-ordered ids: `${prefix}_` + 9 base36 chars of epoch ms + 4 of a per-process
 * counter + 8 random. Fixed width and lowercase, so ids compare as strings in the
 * order they were made (strictly, within one process: the counter breaks ties inside
 * a millisecond, and a clock that steps back does not reorder). Across processes the
 * 41 random bits keep two ids made in the same millisecond apart.
 */
const TIME_LEN = 9; // 36^9 ms ≈ year 5138
const SEQ_LEN = 4;
const SEQ_MAX = 36 ** SEQ_LEN - 1;
const RAND_LEN = 8;

let lastMs = 0;
let seq = 0;

function pad(n: number, len: number): string {
  return n.toString(36).padStart(len, "0");
}

// one getrandom per few thousand bytes instead of one per id
const POOL_BYTES = 3072;
let pool = Buffer.alloc(0);
let poolAt = 0;

/** `n` (≤ 64) fresh random bytes, taken from a pool that is refilled from the CSPRNG */
export function pooledRandomBytes(n: number): Buffer {
  if (poolAt + n > pool.length) {
    pool = randomBytes(POOL_BYTES);
    poolAt = 0;
  }
  const out = pool.subarray(poolAt, poolAt + n);
  poolAt += n;
  return out;
}

function randomPart(): string {
  // 6 bytes = 48 bits; 8 base36 chars hold ~41 of them.
  return pad(pooledRandomBytes(6).readUIntBE(0, 6) % 36 ** RAND_LEN, RAND_LEN);
}

export function newId(prefix: string): string {
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    seq = 0;
  } else if (seq < SEQ_MAX) {
    seq++;
  } else {
    // counter spent within one millisecond: borrow the next one
    lastMs++;
    seq = 0;
  }
  return `${prefix}_${pad(lastMs, TIME_LEN)}${pad(seq, SEQ_LEN)}${randomPart()}`;
}

/** The epoch ms an id from newId was made at (NaN for other strings). */
export function idTime(id: string): number {
  const body = id.slice(id.lastIndexOf("_") + 1);
  if (body.length !== TIME_LEN + SEQ_LEN + RAND_LEN) return Number.NaN;
  return parseInt(body.slice(0, TIME_LEN), 36);
}
