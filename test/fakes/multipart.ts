/**
 * multipart/form-data as the platforms read it (RFC 7578): parts split on the boundary,
 * each with a Content-Disposition naming the field (and a filename for a file). Our
 * own reader, because clients differ in small ways (header case, spacing) that a
 * strict parser refuses and the platforms accept.
 */
export interface MultipartPart {
  name: string;
  filename?: string;
  type?: string;
  data: Buffer;
}

export function boundaryOf(contentType: string | undefined): string | undefined {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType ?? "");
  return m ? (m[1] ?? m[2])!.trim() : undefined;
}

export function parseMultipart(body: Buffer, contentType: string | undefined): MultipartPart[] {
  const boundary = boundaryOf(contentType);
  if (!boundary) throw new Error("multipart without a boundary");
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: MultipartPart[] = [];
  let at = body.indexOf(delimiter);
  if (at < 0) throw new Error("multipart body without its boundary");
  for (;;) {
    at += delimiter.length;
    if (body.subarray(at, at + 2).toString() === "--") break; // the closing delimiter
    if (body.subarray(at, at + 2).toString() === "\r\n") at += 2;
    const next = body.indexOf(delimiter, at);
    if (next < 0) throw new Error("multipart part without a closing boundary");
    const part = body.subarray(at, next - 2); // the CRLF before the delimiter belongs to it
    const split = part.indexOf("\r\n\r\n");
    if (split < 0) throw new Error("multipart part without headers");
    const headers = part.subarray(0, split).toString("utf8").split("\r\n");
    const header = (n: string) => headers.find((h) => h.toLowerCase().startsWith(`${n}:`))?.slice(n.length + 1).trim();
    const disposition = header("content-disposition") ?? "";
    const name = /\bname="([^"]*)"|\bname=([^;\s]+)/i.exec(disposition);
    const filename = /\bfilename="([^"]*)"|\bfilename=([^;\s]+)/i.exec(disposition);
    if (!name) throw new Error("multipart part without a name");
    const type = header("content-type");
    parts.push({
      name: (name[1] ?? name[2])!,
      ...(filename ? { filename: (filename[1] ?? filename[2])! } : {}),
      ...(type ? { type } : {}),
      data: Buffer.from(part.subarray(split + 4)),
    });
    at = next;
  }
  return parts;
}

/** the form's text fields and files, like FormData: a file is a part with a filename */
export function readForm(body: Buffer, contentType: string | undefined): { fields: Map<string, string>; files: Map<string, MultipartPart> } {
  const fields = new Map<string, string>();
  const files = new Map<string, MultipartPart>();
  for (const p of parseMultipart(body, contentType)) {
    if (p.filename !== undefined) files.set(p.name, p);
    else fields.set(p.name, p.data.toString("utf8"));
  }
  return { fields, files };
}
