// TEMPORARY: the event bus interface from the integrator's brief, until src/events/bus.ts lands on main.
import type { Touchpoint, TouchpointKind } from "../model/domain.ts";
export interface DeskEvent {
  cursor: string;
  at: number;
  kind: TouchpointKind | "sent" | "alert";
  conversationKey?: string;
  contactId?: string;
  summary?: string;
  touchpoint?: Touchpoint;
  data?: Record<string, unknown>;
}
export interface EventBus {
  publish(events: Omit<DeskEvent, "cursor">[]): Promise<void>;
  subscribe(listener: (e: DeskEvent) => void, opts?: { after?: string }): () => void;
  close(): Promise<void>;
}
