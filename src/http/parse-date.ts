/** a query's date: epoch milliseconds or anything Date.parse reads; absent → `fallback` */
export function parseDate(s: string | undefined, fallback: number): number {
  if (!s) return fallback;
  const t = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
  if (!Number.isFinite(t)) throw new Error(`not a date: ${s}`);
  return t;
}
