import type { Audience, Contact, Conversation, Order, Touchpoint } from "../../model/domain.ts";
import type { OrderStatusName } from "../../model/inbound.ts";

/** The customer side's reads: conversations, contacts, touchpoints, orders. */

export interface ContactQuery {
  audience?: Audience;
  /** balance below this (at-risk customers) */
  balanceBelow?: number;
  limit?: number;
}

export interface ConversationFilter {
  inHandoff?: boolean;
  contactId?: string;
  limit?: number;
}

export interface OrderFilter {
  contactId?: string;
  status?: OrderStatusName;
  limit?: number;
}

export interface ConversationReads {
  getConversation(key: string): Promise<Conversation | null>;
  listConversations(filter: ConversationFilter): Promise<Conversation[]>;
}

export interface ContactReads {
  getContact(id: string): Promise<Contact | null>;
  /**
   * the contact that stands for `id`'s person now: mergedInto pointers followed (at most
   * MAX_MERGE_HOPS, store/shared.ts), null when none; findContactByPhone,
   * findContactByReferralCode and loadTurn's contact go the same walk
   */
  liveContact(id: string): Promise<Contact | null>;
  findContactByPhone(phone: string): Promise<Contact | null>;
  findContactByReferralCode(code: string): Promise<Contact | null>;
  listContacts(query: ContactQuery): Promise<Contact[]>;
}

export interface JourneyReads {
  listTouchpoints(contactId: string, limit?: number): Promise<Touchpoint[]>;
  getOrder(id: string): Promise<Order | null>;
  listOrders(filter: OrderFilter): Promise<Order[]>;
}

export interface CustomerReads extends ConversationReads, ContactReads, JourneyReads {}
