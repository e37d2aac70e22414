import type { Bundle } from "../../engine/bundle.ts";
import type { AnalyticsPort, KeyValuePort, StoreKind } from "../../store/port.ts";

/** what the report routes and pages need from the app */
export interface ReportDeps {
  /** the reports' reads; the owner's sources are key-value records */
  store: AnalyticsPort & StoreKind & KeyValuePort;
  bundle: () => Bundle;
  now: () => number;
  /** STAFF_API_TOKEN: a bearer with it reads every report */
  token: string | undefined;
  /** deep links for the owner's sources (the app's link builder, per channel that is on) */
  links?: (payload: string) => { channel: string; url: string }[];
}
