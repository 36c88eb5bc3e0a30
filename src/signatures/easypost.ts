/**
 * @module signatures/easypost
 * Verifies EasyPost's `X-Hmac-Signature: hmac-sha256-hex=<hex>`: lowercase hex HMAC-SHA256 of the raw
 * body, keyed with the UTF-8 bytes of the webhook secret normalised to Unicode NFKD (EasyPost's
 * client libraries' `validateWebhook`, which https://docs.easypost.com/docs/webhooks points to:
 * "EasyPost generates a signature with this secret, sent via the X-Hmac-Signature header").
 *
 * - The whole header is compared with the expected text, as the official libraries do: a bare hex
 *   digest (no `hmac-sha256-hex=`) or uppercase hex does not match.
 * - No timestamp is signed, so there is no freshness window: a replayed event is a duplicate in the
 *   ledger (its `id`), nothing more.
 * - Newer deliveries also carry `X-Hmac-Signature-V2` with `X-Timestamp` and `X-Path`; EasyPost's
 *   public documentation does not define what they sign, so they are not read: the v1 header is
 *   required and sufficient.
 * - Several secrets (rotation): any one matching is enough; each is compared in constant time.
 *
 * Pure: nothing is remembered but the imported keys; never throws on request input.
 * Trust boundary: the header and body are attacker-controlled until this returns ok.
 */
import { bytesToHex, timingSafeEqual, utf8 } from "./bytes";
import { hmacKeys, hmacsOf } from "./hmac-keys";

export type EasyPostSignatureFailure = "missing_header" | "no_matching_signature";

export type EasyPostSignatureResult = { ok: true } | { ok: false; reason: EasyPostSignatureFailure };

/** The header's value before the hex digest. */
export const EASYPOST_SIGNATURE_PREFIX = "hmac-sha256-hex=";

/** The key bytes of one secret: UTF-8 of its NFKD form (`ﬁ` → `fi`, `é` → `e` + U+0301). */
export const easypostKeyBytes = (secret: string) => utf8(secret.normalize("NFKD"));

/** Imports the keys of EASYPOST_WEBHOOK_SECRET (one or more secrets, spaces or commas between) once per isolate. */
export function easypostKeys(setting: string): Promise<CryptoKey[]> {
	return hmacKeys("easypost", setting, easypostKeyBytes);
}

/**
 * Checks a delivery's `X-Hmac-Signature` against its raw body.
 * @param header the `X-Hmac-Signature` header, or null when absent.
 * @param rawBody the body exactly as received (never re-serialised: `"weight":136.0` must stay so).
 */
export async function verifyEasyPostSignature(
	keys: readonly CryptoKey[],
	header: string | null,
	rawBody: Uint8Array,
): Promise<EasyPostSignatureResult> {
	if (!header) return { ok: false, reason: "missing_header" };
	const offered = utf8(header);
	let matched = false;
	for (const mac of await hmacsOf(keys, rawBody)) {
		if (timingSafeEqual(offered, utf8(`${EASYPOST_SIGNATURE_PREFIX}${bytesToHex(mac)}`))) matched = true;
	}
	return matched ? { ok: true } : { ok: false, reason: "no_matching_signature" };
}
