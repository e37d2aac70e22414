import type { Contact, Order } from "../model/domain.ts";

/**
 * The reports' copy of every live contact and every order, kept up to date by the
 * stores' change log instead of read whole for each report: each write of a contact
 * or an order (commit, merge, removal) also records "c:<id>" / "o:<id>" in the change
 * log under a new, ever-growing number (Redis: P:rchg scored by INCR P:rseq, in the
 * same script as the write; SQLite: the report_changes table, filled by triggers on
 * contacts and orders). A report asks for what changed since the number it last saw
 * and reads only those records again; the first report after a start reads all.
 * What a report is given is the cache's own arrays: report code only reads them.
 */
export interface ChangeSource {
  /** the change log's newest number now (0 for none) */
  head(): Promise<number>;
  /** every live contact and every order, as the store has them */
  all(): Promise<{ contacts: Contact[]; orders: Order[] }>;
  /** changed keys ("c:<id>", "o:<id>") with a number above `after`, and the highest number among them */
  since(after: number): Promise<{ keys: string[]; head: number }>;
  /** the records now (null: gone); contacts merged away count as gone */
  contactsById(ids: string[]): Promise<(Contact | null)[]>;
  ordersById(ids: string[]): Promise<(Order | null)[]>;
}

export class ReportRecordCache {
  private seen = -1;
  private readonly contactMap = new Map<string, Contact>();
  private readonly orderMap = new Map<string, Order>();
  private contactList: Contact[] | undefined;
  private orderList: Order[] | undefined;
  private pending: Promise<void> | undefined;

  constructor(private readonly source: ChangeSource) {}

  /** brings the copy up to date (one refresh at a time; callers at once share it) */
  private refresh(): Promise<void> {
    this.pending ??= this.doRefresh().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async doRefresh(): Promise<void> {
    if (this.seen < 0) {
      // the log's head first: whatever is written while all() reads comes again next time
      const head = await this.source.head();
      const { contacts, orders } = await this.source.all();
      for (const c of contacts) this.contactMap.set(c.id, c);
      for (const o of orders) this.orderMap.set(o.id, o);
      this.seen = head;
      this.contactList = this.orderList = undefined;
      return;
    }
    const { keys, head } = await this.source.since(this.seen);
    if (keys.length === 0) return;
    const cids = keys.filter((k) => k.startsWith("c:")).map((k) => k.slice(2));
    const oids = keys.filter((k) => k.startsWith("o:")).map((k) => k.slice(2));
    const [cs, os] = await Promise.all([this.source.contactsById(cids), this.source.ordersById(oids)]);
    cids.forEach((id, i) => {
      const c = cs[i];
      if (c && c.mergedInto === undefined) this.contactMap.set(id, c);
      else this.contactMap.delete(id);
    });
    oids.forEach((id, i) => {
      const o = os[i];
      if (o) this.orderMap.set(id, o);
      else this.orderMap.delete(id);
    });
    if (cids.length > 0) this.contactList = undefined;
    if (oids.length > 0) this.orderList = undefined;
    this.seen = Math.max(this.seen, head);
  }

  async contacts(): Promise<Contact[]> {
    await this.refresh();
    return (this.contactList ??= [...this.contactMap.values()]);
  }

  async orders(): Promise<Order[]> {
    await this.refresh();
    return (this.orderList ??= [...this.orderMap.values()].sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
  }
}
