import { z } from "zod";
import type { DoctorCheck } from "../../src/cli/doctor-check.ts";
import type { WhatsAppConfig } from "./config.ts";
import { GraphHttpError } from "./errors.ts";
import { graphFetch, WHATSAPP_API_VERSION } from "./index.ts";

/**
 * `frontdesk doctor` for WhatsApp, asked of the Graph API: the access token opens
 * WHATSAPP_PHONE_NUMBER_ID (GET /<version>/<phone-number-id>), with the number,
 * its verified name and quality rating. Meta does not tell a phone-number token
 * where the webhook points, so that stays a console step (init printed it).
 */
export interface WhatsAppDoctorConfig {
  whatsapp?: WhatsAppConfig;
}

const PhoneNumber = z.object({
  id: z.string(),
  display_phone_number: z.string().optional(),
  verified_name: z.string().optional(),
  quality_rating: z.string().optional(),
});

export async function doctorChecks(config: WhatsAppDoctorConfig): Promise<DoctorCheck[]> {
  const wa = config.whatsapp;
  if (!wa) return [];
  const name = "WhatsApp: access token and number";
  const fetchGraph = graphFetch(wa.apiBase);
  const url = `https://graph.facebook.com/${WHATSAPP_API_VERSION}/${encodeURIComponent(wa.phoneNumberId)}?fields=display_phone_number,verified_name,quality_rating`;
  try {
    const res = await fetchGraph(url, { headers: { authorization: `Bearer ${wa.accessToken}` } });
    const phone = PhoneNumber.parse(await res.json());
    const quality = phone.quality_rating && phone.quality_rating !== "UNKNOWN" ? `, quality ${phone.quality_rating}` : "";
    const red = phone.quality_rating === "RED";
    return [
      {
        name,
        ok: !red,
        detail: `accepted: ${phone.display_phone_number ?? phone.id}${phone.verified_name ? ` «${phone.verified_name}»` : ""}${quality}`,
        ...(red ? { fix: "Meta rates this number's messages low (customers block or report them): see WhatsApp Manager → Insights before sending more" } : {}),
      },
    ];
  } catch (err) {
    const graph = err instanceof GraphHttpError ? err.graph : undefined;
    const code = graph?.code;
    const detail = graph?.message
      ? `Graph answered ${err instanceof GraphHttpError ? `HTTP ${err.status}` : ""} (code ${code ?? "?"}): ${graph.message}`
      : `no answer from Graph: ${err instanceof Error ? err.message : String(err)}`;
    const fix =
      code === 190
        ? "make a new system-user token (Business settings → System users → Generate token, with whatsapp_business_messaging) and put it in WHATSAPP_ACCESS_TOKEN"
        : code === 100 || code === 803
          ? "copy the Phone number ID (not the number itself) from WhatsApp → API Setup into WHATSAPP_PHONE_NUMBER_ID"
          : `check that this machine reaches ${wa.apiBase}`;
    return [{ name, ok: false, detail: detail.replace(/\s+/g, " "), fix }];
  }
}
