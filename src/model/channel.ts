/**
 * Channels and what each one can show. The numbers come from
 * docs/limits.md (row ids in comments), so a renderer can degrade
 * a message to what the platform accepts instead of letting the API reject it.
 */
export const CHANNELS = ["telegram", "whatsapp", "vk", "web", "max"] as const;
export type Channel = (typeof CHANNELS)[number];

export interface ButtonLimits {
  /** most one-tap buttons in one message */
  max: number;
  /** longest label, in characters */
  maxLabel: number;
  /** longest button id the platform carries back, in UTF-8 bytes */
  maxIdBytes: number;
  /** buttons per keyboard row */
  perRow: number;
  /** longest text a message with buttons may carry (WhatsApp body: 1024) */
  maxText?: number;
}

export interface ListLimits {
  maxRows: number;
  maxTitle: number;
  maxDescription: number;
  /** label of the button that opens the list */
  maxButtonLabel: number;
  maxIdBytes: number;
  /** longest text a list message may carry */
  maxText?: number;
}

export interface ChannelCapabilities {
  channel: Channel;
  /** longest text of one message, in characters */
  maxTextLength: number;
  /** null: the channel has no buttons (numbered text instead) */
  buttons: ButtonLimits | null;
  /** null: no list messages; too many buttons become numbered text */
  list: ListLimits | null;
  /** can send a photo by URL with the text as caption */
  photo: boolean;
  /** can send a photo file from flows/ (uploaded once, then by the platform's id); default: as `photo` */
  photoFile?: boolean;
  /** longest photo caption; longer text goes in a message of its own */
  maxCaption: number;
  /** has a button that shares the customer's phone */
  askPhone: boolean;
}

export const TELEGRAM_CAPABILITIES: ChannelCapabilities = {
  channel: "telegram",
  maxTextLength: 4096, // T10
  // Inline keyboards have no documented button cap; 24 keeps a phone screen usable.
  buttons: { max: 24, maxLabel: 64, maxIdBytes: 64 /* T11 */, perRow: 2 },
  list: null,
  photo: true,
  maxCaption: 1024,
  askPhone: true,
};

export const WHATSAPP_CAPABILITIES: ChannelCapabilities = {
  channel: "whatsapp",
  maxTextLength: 4096, // W14
  buttons: { max: 3, maxLabel: 20, maxIdBytes: 256, perRow: 3, maxText: 1024 }, // W15
  list: { maxRows: 10, maxTitle: 24, maxDescription: 72, maxButtonLabel: 20, maxIdBytes: 200, maxText: 1024 }, // W16 (4096 per Meta; whatsapp-api-js caps interactive bodies at 1024)
  photo: true,
  maxCaption: 1024,
  askPhone: false,
};

/** VK inline keyboard (V12); the adapter falls back to a standard keyboard or text per client_info. */
export const VK_CAPABILITIES: ChannelCapabilities = {
  channel: "vk",
  maxTextLength: 9000, // V10
  // ≤ 10 go inline (V12); the adapter puts up to 20 on a standard keyboard (V11: 5 × 10) so NPS 0–10 stays one tap
  buttons: { max: 20, maxLabel: 40, maxIdBytes: 200 /* payload ≤ 255 incl. JSON wrapper, V13 */, perRow: 2 },
  list: null,
  photo: false, // no photo by URL: a URL goes in the text instead
  photoFile: true, // a file is uploaded once (photos.getMessagesUploadServer …) and attached; the text goes with it
  maxCaption: 9000,
  askPhone: false,
};

export const WEB_CAPABILITIES: ChannelCapabilities = {
  channel: "web",
  maxTextLength: 8000,
  buttons: { max: 30, maxLabel: 80, maxIdBytes: 256, perRow: 2 },
  list: null,
  photo: true,
  maxCaption: 8000,
  askPhone: true,
};

/**
 * MAX inline keyboard (docs/limits.md M10-M13): up to 210 buttons in 30 rows, 7 per row
 * (3 for request_contact / link rows); text up to 4000 characters.
 */
export const MAX_CAPABILITIES: ChannelCapabilities = {
  channel: "max",
  maxTextLength: 4000, // M10
  // 30 rows × 7 are allowed (M11); 24 in rows of 2 keeps a phone screen usable, as on Telegram
  buttons: { max: 24, maxLabel: 64 /* M12: no documented cap */, maxIdBytes: 256 /* M13: payload ≤ 1024 chars */, perRow: 2 },
  list: null,
  photo: true, // M14: image attachment by URL; the text goes with it
  maxCaption: 4000,
  askPhone: true, // M15: request_contact button
};

export const CAPABILITIES: Record<Channel, ChannelCapabilities> = {
  telegram: TELEGRAM_CAPABILITIES,
  whatsapp: WHATSAPP_CAPABILITIES,
  vk: VK_CAPABILITIES,
  web: WEB_CAPABILITIES,
  max: MAX_CAPABILITIES,
};
