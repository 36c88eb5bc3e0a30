/**
 * @module signatures/stripe
 * Verifies `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…][,v0=…]`: hex HMAC-SHA256 over
 * `${t}.${rawBody}`, keyed with the UTF-8 bytes of the whole secret (`whsec_…` included, no base64
 * decoding). Any matching `v1` is accepted (rotation); `v0` and unknown schemes are ignored.
 * Tolerance is checked both ways (stripe-node checks only the past). Pure: the clock is a parameter.
 * Trust boundary: everything in the request is attacker-controlled until this returns ok.
 */
import { bytesToHex, concatBytes, timingSafeEqual, utf8 } from "./bytes";
import { splitSecrets } from "./secrets";

export type StripeSignatureFailure =
	| "missing_header"
	| "empty_body"
	| "invalid_timestamp"
	| "no_matching_signature"
	| "timestamp_too_old"
	| "timestamp_too_new";

export type StripeSignatureResult = { ok: true; timestamp: number } | { ok: false; reason: StripeSignatureFailure };

export const STRIPE_TOLERANCE_SECONDS = 300;

const importedKeys = new Map<string, Promise<CryptoKey[]>>();

/** Imports the HMAC keys of a secret setting once per isolate. */
export function stripeKeys(setting: string): Promise<CryptoKey[]> {
	let keys = importedKeys.get(setting);
	if (!keys) {
		keys = Promise.all(
			splitSecrets(setting).map((secret) =>
				crypto.subtle.importKey("raw", utf8(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]),
			),
		);
		importedKeys.set(setting, keys);
	}
	return keys;
}

/** `t` and every `v1` of the header, split exactly as stripe-node does (no trimming). */
function parseHeader(header: string): { timestamp: string | undefined; v1: string[] } {
	let timestamp: string | undefined;
	const v1: string[] = [];
	for (const item of header.split(",")) {
		const equals = item.indexOf("=");
		if (equals < 0) continue;
		const key = item.slice(0, equals);
		const value = item.slice(equals + 1);
		if (key === "t") timestamp = value;
		else if (key === "v1" && value) v1.push(value);
	}
	return { timestamp, v1 };
}

/** Verifies a delivery against its raw body bytes; `nowSeconds` is the verifier's clock. */
export async function verifyStripeSignature(
	keys: CryptoKey[],
	header: string | null,
	rawBody: Uint8Array,
	nowSeconds: number,
	toleranceSeconds = STRIPE_TOLERANCE_SECONDS,
): Promise<StripeSignatureResult> {
	if (!header) return { ok: false, reason: "missing_header" };
	// stripe-node refuses an empty payload even when its HMAC matches: there is no event in it.
	if (rawBody.byteLength === 0) return { ok: false, reason: "empty_body" };
	const { timestamp, v1 } = parseHeader(header);
	if (!timestamp || !/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: "invalid_timestamp" };
	const signed = concatBytes(utf8(`${timestamp}.`), rawBody);
	const offered = v1.map(utf8);
	let matched = false;
	for (const key of keys) {
		// Stripe signs lowercase hex and stripe-node compares the text: uppercase hex does not match.
		const expected = utf8(bytesToHex(new Uint8Array(await crypto.subtle.sign("HMAC", key, signed))));
		if (offered.some((signature) => timingSafeEqual(signature, expected))) matched = true;
	}
	if (!matched) return { ok: false, reason: "no_matching_signature" };
	const sentAt = Number(timestamp);
	if (nowSeconds - sentAt > toleranceSeconds) return { ok: false, reason: "timestamp_too_old" };
	if (sentAt - nowSeconds > toleranceSeconds) return { ok: false, reason: "timestamp_too_new" };
	return { ok: true, timestamp: sentAt };
}
