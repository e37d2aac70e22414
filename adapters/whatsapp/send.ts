import type { WhatsAppAPI } from "whatsapp-api-js";
import {
  ActionButtons,
  ActionList,
  Body,
  BodyComponent,
  BodyParameter,
  Button,
  Header,
  Image,
  Interactive,
  Language,
  ListSection,
  Row,
  Template,
  Text,
} from "whatsapp-api-js/messages";
import type { ClientMessage } from "whatsapp-api-js/types";
import type { OutboxItem, RenderedPart } from "../../src/model/outbound.ts";
import type { SendFailure, SendResult } from "../../src/channel/port.ts";
import { clipText } from "../../adapters/shared/clip-text.ts";
import { mapGraphError, mapThrown } from "./errors.ts";
import type { PhotoCache } from "../../src/photos/cache.ts";
import { isPhotoFile, type PhotoFile } from "../../src/photos/files.ts";

/** Customer service window (W17). */
export const WINDOW_MS = 24 * 60 * 60 * 1000;
/** A template body variable: Meta caps parameters at 1024 when other components exist; stay below. */
const TEMPLATE_PARAM_MAX = 1000;

export type TemplateSpec = NonNullable<RenderedPart["template"]>;

/** Template variables may not hold newlines, tabs or more than 4 spaces in a row (Meta rejects them). */
function templateParam(s: string): string {
  const flat = s.replace(/[\r\n\t]+/g, " ").replace(/ {4,}/g, "   ").trim();
  return clipText(flat === "" ? "…" : flat, TEMPLATE_PARAM_MAX);
}

export function buildTemplate(t: TemplateSpec): Template {
  const [first, ...rest] = t.params.map((p) => new BodyParameter(templateParam(p)));
  const language = new Language(t.language);
  return first ? new Template(t.name, language, new BodyComponent(first, ...rest)) : new Template(t.name, language);
}

/** The template to use outside the 24-hour window: the part's own, else the configured one with the text as {{1}}. */
export function templateFor(part: RenderedPart, fallback: { name: string; language: string } | undefined): TemplateSpec | undefined {
  if (part.template) return part.template;
  if (fallback) return { name: fallback.name, language: fallback.language, params: [part.text] };
  return undefined;
}

export class RenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RenderError";
  }
}

/**
 * One RenderedPart → one Cloud API message. Limits the renderer should already have met
 * (W14–W16) are enforced by the library's constructors, which throw: that is a renderer
 * bug and becomes a permanent failure. Labels are clipped (harmless); ids never are
 * (a clipped id would not come back as the id we expect).
 * askPhone / removeKeyboard have no WhatsApp equivalent (the number is already known).
 */
export function buildMessage(part: RenderedPart, photo?: { mediaId: string }): ClientMessage {
  // a photo file goes by the media id its upload got (POST /<phone-id>/media), a URL as a link
  const image = (caption?: string) => (photo ? new Image(photo.mediaId, true, caption) : new Image(part.photoUrl!, false, caption));
  const rows = part.list?.rows ?? [];
  if (part.list && rows.length > 0) {
    const [first, ...rest] = rows.map((r) => new Row(r.id, clipText(r.label, 24), r.description ? clipText(r.description, 72) : undefined));
    return new Interactive(
      new ActionList(clipText(part.list.buttonLabel || "…", 20), new ListSection(undefined, first!, ...rest)),
      new Body(part.text),
    );
  }
  const buttons = (part.buttons ?? []).flat();
  if (buttons.length > 0) {
    if (buttons.length > 3) throw new RenderError(`${buttons.length} reply buttons; WhatsApp allows 3`);
    const [first, ...rest] = buttons.map((b) => new Button(b.id, clipText(b.label, 20)));
    // A photo with buttons rides as the image header of the same message.
    const header = part.photoUrl ? new Header(image()) : undefined;
    return new Interactive(new ActionButtons(first!, ...rest), new Body(part.text), header);
  }
  if (part.photoUrl) return image(part.text || undefined);
  if (part.text.trim() === "") throw new RenderError("empty message: no text, buttons, list or photo");
  return new Text(part.text);
}

export interface Sender {
  api: WhatsAppAPI;
  phoneNumberId: string;
  template?: { name: string; language: string };
  now: () => number;
  /** photo files: uploaded once as media, then sent by media id */
  photos?: PhotoCache;
}

async function deliver(s: Sender, to: string, message: ClientMessage): Promise<SendResult> {
  try {
    // whatsapp-api-js answers a Graph error in the body instead of throwing; our fetch
    // throws on non-2xx (GraphHttpError) so both paths end up here.
    const res = await s.api.sendMessage(s.phoneNumberId, to, message);
    if ("error" in res && res.error) return { ok: false, error: mapGraphError(undefined, res.error) };
    const id = "messages" in res ? res.messages?.[0]?.id : undefined;
    // A 2xx means Meta accepted it: never report failure (the sender would send it twice).
    return { ok: true, platformMessageIds: id ? [id] : [] };
  } catch (err) {
    return { ok: false, error: mapThrown(err) };
  }
}

/** Deliver one outbox item: the part itself inside the window, a template outside it. */
export async function sendItem(s: Sender, item: OutboxItem): Promise<SendResult> {
  const template = templateFor(item.part, s.template);
  const last = item.customerLastInboundAt;
  const windowOpen = last != null && s.now() - last < WINDOW_MS;
  let message: ClientMessage | undefined;
  try {
    if (!windowOpen) {
      if (!template) {
        return { ok: false, error: { kind: "window_closed", message: "24-hour window closed and no template" } };
      }
      return await deliver(s, item.chatId, buildTemplate(template));
    }
    if (!isPhotoFile(item.part.photoUrl)) message = buildMessage(item.part);
  } catch (err) {
    return { ok: false, error: { kind: "permanent", message: `cannot build message: ${err instanceof Error ? err.message : String(err)}` } };
  }
  const result = message ? await deliver(s, item.chatId, message) : await withPhotoFile(s, item, item.part.photoUrl!);
  // Our clock and Meta's disagree about the window (131047): fall back to the template now.
  if (!result.ok && result.error.kind === "window_closed" && template) {
    try {
      return await deliver(s, item.chatId, buildTemplate(template));
    } catch (err) {
      return { ok: false, error: { kind: "permanent", message: `cannot build template: ${err instanceof Error ? err.message : String(err)}` } };
    }
  }
  return result;
}

/** A part whose photo is a file in flows/: the media id from the cache, or one upload of the file. */
async function withPhotoFile(s: Sender, item: OutboxItem, ref: string): Promise<SendResult> {
  if (!s.photos) return { ok: false, error: { kind: "permanent", message: `${ref} is a file and no photo store is set` } };
  const withId = async (mediaId: string): Promise<SendResult> => {
    let message: ClientMessage;
    try {
      message = buildMessage(item.part, { mediaId });
    } catch (err) {
      return { ok: false, error: { kind: "permanent", message: `cannot build message: ${err instanceof Error ? err.message : String(err)}` } };
    }
    return deliver(s, item.chatId, message);
  };
  return s.photos.send(ref, {
    withId,
    async withFile(file) {
      const uploaded = await uploadMedia(s, file);
      if (!uploaded.ok) return { result: uploaded };
      return { result: await withId(uploaded.id), id: uploaded.id };
    },
  });
}

/** POST /<phone-number-id>/media (multipart: file, type, messaging_product): the media id. A refused upload is permanent, so the card goes as text. */
async function uploadMedia(s: Sender, file: PhotoFile): Promise<{ ok: true; id: string } | { ok: false; error: SendFailure }> {
  const form = new FormData();
  form.append("messaging_product", "whatsapp");
  form.append("type", file.mime);
  form.append("file", new Blob([new Uint8Array(file.bytes)], { type: file.mime }), file.name);
  try {
    const res = await s.api.uploadMedia(s.phoneNumberId, form);
    if ("error" in res && res.error) return { ok: false, error: asUploadFailure(mapGraphError(undefined, res.error)) };
    if (!("id" in res) || typeof res.id !== "string") return { ok: false, error: { kind: "permanent", message: "media upload answered without an id" } };
    return { ok: true, id: res.id };
  } catch (err) {
    return { ok: false, error: asUploadFailure(mapThrown(err)) };
  }
}

function asUploadFailure(e: SendFailure): SendFailure {
  return e.kind === "rate_limited" ? e : { kind: "permanent", message: `media upload: ${e.message}` };
}
