/**
 * @module signatures/mailgun
 * Verifies a Mailgun webhook signature (Mailgun "Securing Webhooks"). There is no signature header:
 * the JSON body carries `signature: { timestamp, token, signature }`, where
 * - `timestamp` is unix SECONDS as decimal text and `token` a random 50-character string;
 * - `signature` is lowercase hex HMAC-SHA256, keyed with the UTF-8 bytes of the domain's HTTP
 *   webhook signing key, over `timestamp + token` (no separator);
 * - for a subaccount's domain, `parent-signature` is the same HMAC keyed with the primary account's
 *   key (verify it by passing `field = "parent-signature"`).
 * The legacy form-encoded webhooks put the same three fields at the top level: same HMAC.
 *
 * `event-data` is NOT covered by the signature, so a captured triple can carry forged data. Two
 * guards follow: a timestamp outside ±`toleranceSeconds` (300 s) is refused here, and a token seen
 * before must be refused by the caller, which remembers tokens (this function returns the token and
 * keeps no state). Mailgun calls the timestamp check optional and defines no window; 300 s is this
 * service's policy, as for the other schemes.
 *
 * Pure: the clock is a parameter; never throws on request input.
 * Trust boundary: everything in the request is attacker-controlled until this returns ok.
 */
import { bytesToHex, timingSafeEqual, utf8 } from "./bytes";
import { splitSecrets } from "./secrets";

export type MailgunSignatureFailure =
	| "missing_signature"
	| "malformed_signature"
	| "invalid_timestamp"
	| "no_matching_signature"
	| "timestamp_too_old"
	| "timestamp_too_new";

/** `timestamp` in unix seconds; `token` is the one the caller must not accept twice. */
export type MailgunSignatureResult =
	| { ok: true; timestamp: number; token: string }
	| { ok: false; reason: MailgunSignatureFailure };

/** Which HMAC of the signature block to check: the domain's own, or the primary account's. */
export type MailgunSignatureField = "signature" | "parent-signature";

export const MAILGUN_TOLERANCE_SECONDS = 300;

const importedKeys = new Map<string, Promise<CryptoKey[]>>();

/**
 * Imports the HMAC keys of a setting (one or more signing keys separated by spaces or commas, for
 * rotation) once per isolate. The key is used as text (its UTF-8 bytes), not hex-decoded.
 */
export function mailgunKeys(setting: string): Promise<CryptoKey[]> {
	let keys = importedKeys.get(setting);
	if (!keys) {
		keys = Promise.all(
			splitSecrets(setting).map((secret) =>
				crypto.subtle.importKey("raw", utf8(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]),
			),
		);
		keys.catch(() => importedKeys.delete(setting));
		importedKeys.set(setting, keys);
	}
	return keys;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
	typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Verifies the signature block of a delivery.
 * @param keys from {@link mailgunKeys}; any one matching is enough (rotation).
 * @param signature the body's `signature` member as parsed from JSON (anything: it is checked here).
 * @param nowSeconds the verifier's clock, unix seconds.
 * @param toleranceSeconds how far the timestamp may be from `nowSeconds`, both ways; exactly
 *   `toleranceSeconds` off is accepted, as for the other schemes.
 * @param field which HMAC to check (default `signature`; `parent-signature` with the primary key).
 */
export async function verifyMailgunSignature(
	keys: CryptoKey[],
	signature: unknown,
	nowSeconds: number,
	toleranceSeconds = MAILGUN_TOLERANCE_SECONDS,
	field: MailgunSignatureField = "signature",
): Promise<MailgunSignatureResult> {
	if (!isRecord(signature)) return { ok: false, reason: "missing_signature" };
	const { timestamp, token } = signature;
	const offered = signature[field];
	if (typeof timestamp !== "string" || typeof token !== "string" || typeof offered !== "string") {
		return { ok: false, reason: "malformed_signature" };
	}
	if (token.length === 0 || offered.length === 0) return { ok: false, reason: "malformed_signature" };
	if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: "invalid_timestamp" };
	const signed = utf8(timestamp + token);
	// Mailgun signs lowercase hex and its examples compare the text: uppercase hex does not match.
	const offeredBytes = utf8(offered);
	let matched = false;
	for (const key of keys) {
		const expected = utf8(bytesToHex(new Uint8Array(await crypto.subtle.sign("HMAC", key, signed))));
		if (timingSafeEqual(offeredBytes, expected)) matched = true;
	}
	if (!matched) return { ok: false, reason: "no_matching_signature" };
	const sentAt = Number(timestamp);
	if (nowSeconds - sentAt > toleranceSeconds) return { ok: false, reason: "timestamp_too_old" };
	if (sentAt - nowSeconds > toleranceSeconds) return { ok: false, reason: "timestamp_too_new" };
	return { ok: true, timestamp: sentAt, token };
}
