import { z } from "zod";
import type { PhotoFile } from "../../src/photos/files.ts";
import type { SendFailure } from "../../src/channel/port.ts";
import type { VkApi } from "./api.ts";
import { toSendFailure, VkTransportError } from "./errors.ts";

/**
 * A photo for messages (VK "Uploading photos to a private message"):
 *   photos.getMessagesUploadServer(peer_id) → upload_url;
 *   POST the file to upload_url as multipart field `photo` → {server, photo, hash};
 *   photos.saveMessagesPhoto(server, photo, hash) → [{id, owner_id, access_key}];
 * and messages.send takes it as attachment photo<owner_id>_<id>[_<access_key>].
 */
const UploadServer = z.object({ upload_url: z.string().url() });
const Uploaded = z.object({ server: z.coerce.number(), photo: z.string().min(3), hash: z.string().min(1) });
const Saved = z.array(z.object({ id: z.number(), owner_id: z.number(), access_key: z.string().optional() })).min(1);

export type VkUpload = { ok: true; attachment: string } | { ok: false; error: SendFailure };

export async function uploadVkPhoto(api: VkApi, peerId: string, file: PhotoFile, timeoutMs = 20_000): Promise<VkUpload> {
  try {
    const server = UploadServer.parse(await api.call("photos.getMessagesUploadServer", { peer_id: peerId }));
    const form = new FormData();
    form.append("photo", new Blob([new Uint8Array(file.bytes)], { type: file.mime }), file.name);
    const res = await fetch(server.upload_url, { method: "POST", body: form, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    if (!res.ok) throw new VkTransportError(`photo upload: HTTP ${res.status}`);
    const parsed = Uploaded.safeParse(JSON.parse(text));
    // VK answers photo "[]" when it did not take the file (not an image, too big)
    if (!parsed.success || parsed.data.photo === "[]") throw new VkTransportError("photo upload: VK did not take the file");
    const saved = Saved.parse(await api.call("photos.saveMessagesPhoto", { server: parsed.data.server, photo: parsed.data.photo, hash: parsed.data.hash }));
    const p = saved[0]!;
    return { ok: true, attachment: `photo${p.owner_id}_${p.id}${p.access_key ? `_${p.access_key}` : ""}` };
  } catch (err) {
    const e = toSendFailure(err);
    // a refused upload sends the card as text at once; only VK's own pace waits
    return { ok: false, error: e.kind === "rate_limited" ? e : { kind: "permanent", message: `photo upload: ${e.message}` } };
  }
}
