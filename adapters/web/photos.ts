import type { FastifyInstance } from "fastify";
import type { RenderedPart } from "../../src/model/outbound.ts";
import { isPhotoFile, PHOTO_FILE, type PhotoFiles } from "../../src/photos/files.ts";

/**
 * The web chat shows a catalogue photo file from the app itself: GET
 * /webchat/photos/<name> serves flows/photos/<name>. Only names the catalogue could use
 * (PHOTO_FILE: lower-case, no dots but the extension, so no ../) are looked up, and the
 * file is resolved inside flows/photos/. A reply carries the URL with ?v=<content hash>,
 * so browsers keep the picture for a year and a changed picture is a new URL.
 */
export const PHOTO_ROUTE = "/webchat/photos/";

export function registerPhotos(scope: FastifyInstance, files: PhotoFiles): void {
  scope.get("/webchat/photos/*", async (req, reply) => {
    const rest = (req.params as { "*"?: string })["*"] ?? "";
    const ref = `photos/${rest}`;
    const notFound = () => reply.code(404).header("cache-control", "no-store").send({ error: "not_found", message: "no such photo" });
    if (!PHOTO_FILE.test(ref)) return notFound();
    const file = await files.load(ref).catch(() => undefined);
    if (!file) return notFound();
    const etag = `"${file.hash.slice(0, 32)}"`;
    const version = (req.query as { v?: unknown } | undefined)?.v;
    reply
      .header("etag", etag)
      .header("x-content-type-options", "nosniff")
      // the URL with its content hash never changes meaning; a bare one is checked again soon
      .header("cache-control", version === file.hash.slice(0, 16) ? "public, max-age=31536000, immutable" : "public, max-age=300");
    if (req.headers["if-none-match"] === etag) return reply.code(304).send();
    return reply.type(file.mime).send(file.bytes);
  });
}

/** The part as the page gets it: a photo file becomes its URL here (dropped when the file is gone). */
export async function withPhotoUrl<T extends RenderedPart>(part: T, files: PhotoFiles | undefined): Promise<T> {
  if (!isPhotoFile(part.photoUrl)) return part;
  const file = files ? await files.load(part.photoUrl).catch(() => undefined) : undefined;
  const { photoUrl: ref, ...rest } = part;
  if (!file) return rest as T;
  return { ...rest, photoUrl: `${PHOTO_ROUTE}${ref.slice("photos/".length)}?v=${file.hash.slice(0, 16)}` } as T;
}
