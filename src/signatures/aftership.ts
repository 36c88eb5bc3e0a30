/**
 * @module signatures/aftership
 * Verifies AfterShip Tracking's webhook signature: `aftership-hmac-sha256` = standard base64 (with
 * padding) of HMAC-SHA256 over the raw body, keyed with the UTF-8 bytes of the webhook secret
 * (https://www.aftership.com/docs/tracking/webhook/webhook-signature). Organisations created before
 * 25 October 2022 receive `am-webhook-signature: hmac-sha256=<base64>` instead
 * (https://www.aftership.com/docs/returns/2025-04/webhook/signature, "Note"): read as the same
 * signature.
 *
 * - The base64 text is compared as sent: hex, base64url or unpadded base64 does not match.
 * - No timestamp is signed: AfterShip retries a failed delivery for days, so no freshness window
 *   applies; a replayed event is a duplicate in the ledger (its `event_id`).
 * - AfterShip sends one signature: rotation is several configured secrets, any one matching (each
 *   compared in constant time).
 *
 * Pure; never throws on request input. Trust boundary: the headers and body are attacker-controlled
 * until this returns ok.
 */
import { timingSafeEqual, utf8 } from "./bytes";
import { hmacKeys, hmacsOf } from "./hmac-keys";

export type AfterShipSignatureFailure = "missing_header" | "no_matching_signature";

export type AfterShipSignatureResult = { ok: true } | { ok: false; reason: AfterShipSignatureFailure };

/** The prefix of the older `am-webhook-signature` header's value. */
const AM_PREFIX = "hmac-sha256=";

/** Imports the keys of AFTERSHIP_WEBHOOK_SECRET (one or more secrets, spaces or commas between) once per isolate. */
export function aftershipKeys(setting: string): Promise<CryptoKey[]> {
	return hmacKeys("aftership", setting, utf8);
}

const base64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

/**
 * The signatures a delivery offers: `aftership-hmac-sha256`, and `am-webhook-signature` without its
 * `hmac-sha256=` prefix (an `am-webhook-signature` without the prefix offers nothing).
 */
export function offeredSignatures(headers: Headers): string[] {
	const offered: string[] = [];
	const current = headers.get("aftership-hmac-sha256");
	if (current) offered.push(current);
	const older = headers.get("am-webhook-signature");
	if (older?.startsWith(AM_PREFIX) && older.length > AM_PREFIX.length) offered.push(older.slice(AM_PREFIX.length));
	return offered;
}

/** Checks a delivery's signature headers against its raw body. */
export async function verifyAfterShipSignature(
	keys: readonly CryptoKey[],
	headers: Headers,
	rawBody: Uint8Array,
): Promise<AfterShipSignatureResult> {
	const offered = offeredSignatures(headers).map(utf8);
	if (offered.length === 0) return { ok: false, reason: "missing_header" };
	let matched = false;
	for (const mac of await hmacsOf(keys, rawBody)) {
		const expected = utf8(base64(mac));
		for (const signature of offered) if (timingSafeEqual(signature, expected)) matched = true;
	}
	return matched ? { ok: true } : { ok: false, reason: "no_matching_signature" };
}
