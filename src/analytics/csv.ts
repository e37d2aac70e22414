import { stringify } from "csv-stringify/sync";
import type { Table } from "./tables.ts";

/**
 * A table as a spreadsheet opens it in Russia: UTF-8 with a BOM (so Excel reads
 * Cyrillic), `;` between fields (the comma is the decimal separator there), CRLF,
 * decimals with a comma. csv-stringify does the quoting; text that a spreadsheet would
 * run as a formula (a customer's answer "=HYPERLINK(…)") gets a leading apostrophe.
 */
export function toCsv(t: Table): string {
  const cell = (v: string | number | null) =>
    v === null ? "" : typeof v === "number" ? String(v).replace(".", ",") : /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return stringify([t.columns, ...t.rows.map((r) => r.map(cell))], { delimiter: ";", bom: true, record_delimiter: "windows" });
}
