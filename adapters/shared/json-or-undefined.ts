/** JSON.parse that answers undefined instead of throwing (a button payload, a stored record: not ours if unreadable). */
export function jsonOrUndefined(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
