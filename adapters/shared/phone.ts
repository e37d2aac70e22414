/**
 * A shared phone number as the engine keeps it (InboundMessage.phone): digits only,
 * no `+`, spaces or dashes, whatever the platform sent ("+7 (912) 345-67-89", a
 * WhatsApp wa_id, a vCard TEL line). Empty when there is not a digit in it.
 */
export function phoneDigits(raw: string): string {
  return raw.replace(/\D/g, "");
}
