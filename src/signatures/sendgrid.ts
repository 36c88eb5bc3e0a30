/**
 * @module signatures/sendgrid
 * Verifies SendGrid's Signed Event Webhook (Twilio SendGrid "Event Webhook Security Features"; the
 * reference implementation is `@sendgrid/eventwebhook`, sendgrid-nodejs `packages/eventwebhook`):
 * - `X-Twilio-Email-Event-Webhook-Timestamp`: unix SECONDS, as decimal text;
 * - `X-Twilio-Email-Event-Webhook-Signature`: base64 of a DER `ECDSA-Sig-Value` (SEQUENCE of the two
 *   INTEGERs r and s), ECDSA over P-256 with SHA-256;
 * - signed content: `UTF-8(timestamp header) || rawBody`, no separator;
 * - verification key: base64 of a DER SubjectPublicKeyInfo (P-256), as the SendGrid console shows it.
 * Web Crypto's ECDSA wants the IEEE P1363 form (`r‖s`, 32 bytes each), so the DER signature is
 * converted here, strictly: anything that is not minimal DER is refused as OpenSSL (behind the
 * reference library) refuses it, and a raw `r‖s` in the header is refused too (SendGrid sends DER).
 *
 * Freshness: SendGrid documents no window and its libraries check none; it retries a delivery for up
 * to 24 h, and whether a retry is re-signed with a fresh timestamp is not documented. The signature
 * covers the whole body, so a replay is an exact duplicate, which the ledger drops by `sg_event_id`.
 * Hence {@link SENDGRID_TOLERANCE_SECONDS} is `null` (no window, as the reference library and the
 * vectors); pass a number to enforce one (checked both ways, exactly `tolerance` off accepted).
 *
 * Pure: the clock is a parameter; never throws on request input.
 * Trust boundary: everything in the request is attacker-controlled until this returns ok.
 */
import { base64ToBytes, concatBytes, utf8 } from "./bytes";
import { splitSecrets } from "./secrets";

export type SendGridSignatureFailure =
	| "missing_header"
	| "invalid_timestamp"
	| "malformed_signature"
	| "no_matching_signature"
	| "timestamp_too_old"
	| "timestamp_too_new";

/** `timestamp` is the signed timestamp header, in unix seconds. */
export type SendGridSignatureResult = { ok: true; timestamp: number } | { ok: false; reason: SendGridSignatureFailure };

/**
 * The default freshness window, in seconds: none (`null`), following `@sendgrid/eventwebhook` and the
 * vector "valid signature, timestamp 2 days old" (see the module comment).
 */
export const SENDGRID_TOLERANCE_SECONDS: number | null = null;

/** P-256 scalars (r, s) are at most 32 bytes. */
const SCALAR_BYTES = 32;

const importedKeys = new Map<string, Promise<CryptoKey[]>>();

async function importPublicKey(encoded: string): Promise<CryptoKey> {
	const der = base64ToBytes(encoded);
	if (der && der.byteLength > 0) {
		try {
			return await crypto.subtle.importKey("spki", der, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
		} catch {
			// Fall through to the message below.
		}
	}
	throw new Error(
		"a SendGrid verification key is not a base64 P-256 public key: copy the whole verification key the Signed Event Webhook settings show (MFkw…)",
	);
}

/**
 * Imports every public key of a setting (base64 DER SPKI keys separated by spaces or commas, for
 * rotation) once per isolate. Rejects, saying how to fix it, when a key is not one; a failed import
 * is not cached, so a corrected setting is read again.
 */
export function sendGridKeys(setting: string): Promise<CryptoKey[]> {
	let keys = importedKeys.get(setting);
	if (!keys) {
		keys = Promise.all(splitSecrets(setting).map(importPublicKey));
		keys.catch(() => importedKeys.delete(setting));
		importedKeys.set(setting, keys);
	}
	return keys;
}

/**
 * Reads one DER INTEGER at `offset` as an unsigned P-256 scalar, left-padded to 32 bytes.
 * Minimal DER only (X.690 §8.3.2): no empty integer, no negative one, no superfluous leading zero.
 */
function readScalar(der: Uint8Array, offset: number): { value: Uint8Array; next: number } | undefined {
	if (der[offset] !== 0x02) return undefined;
	const length = der[offset + 1];
	// Lengths up to 33 (a leading zero before a high bit) always use the short form.
	if (length === undefined || length === 0 || length > SCALAR_BYTES + 1) return undefined;
	const start = offset + 2;
	const end = start + length;
	if (end > der.byteLength) return undefined;
	let bytes = der.subarray(start, end);
	const first = bytes[0] as number;
	if (first & 0x80) return undefined; // negative
	if (first === 0 && length > 1) {
		if (((bytes[1] as number) & 0x80) === 0) return undefined; // leading zero not needed
		bytes = bytes.subarray(1);
	}
	if (bytes.byteLength > SCALAR_BYTES) return undefined;
	const value = new Uint8Array(SCALAR_BYTES);
	value.set(bytes, SCALAR_BYTES - bytes.byteLength);
	return { value, next: end };
}

/**
 * Converts a DER `ECDSA-Sig-Value` (RFC 3279 §2.2.3: `SEQUENCE { r INTEGER, s INTEGER }`) to the
 * 64-byte IEEE P1363 `r‖s` that Web Crypto verifies. `undefined` for anything but one minimal-DER
 * SEQUENCE of two integers that fit in 32 bytes, with nothing after it.
 */
export function derToP1363(der: Uint8Array): Uint8Array | undefined {
	// A P-256 signature is at most 2 + 2 × (2 + 33) = 72 bytes: the short length form only.
	if (der.byteLength < 8 || der[0] !== 0x30 || der[1] !== der.byteLength - 2) return undefined;
	const r = readScalar(der, 2);
	if (!r) return undefined;
	const s = readScalar(der, r.next);
	if (!s || s.next !== der.byteLength) return undefined;
	return concatBytes(r.value, s.value);
}

/**
 * Verifies a delivery against its raw body bytes.
 * @param publicKeys from {@link sendGridKeys}; any one verifying is enough (rotation).
 * @param signatureHeader `X-Twilio-Email-Event-Webhook-Signature` (base64 DER), or null when absent.
 * @param timestampHeader `X-Twilio-Email-Event-Webhook-Timestamp` (unix seconds), or null when absent.
 * @param rawBody the request body exactly as received (a JSON array of events).
 * @param nowSeconds the verifier's clock, unix seconds.
 * @param toleranceSeconds freshness window in seconds, both ways; `null` checks none (the default).
 */
export async function verifySendGridSignature(
	publicKeys: CryptoKey[],
	signatureHeader: string | null,
	timestampHeader: string | null,
	rawBody: Uint8Array,
	nowSeconds: number,
	toleranceSeconds: number | null = SENDGRID_TOLERANCE_SECONDS,
): Promise<SendGridSignatureResult> {
	if (!signatureHeader || !timestampHeader) return { ok: false, reason: "missing_header" };
	if (!/^\d{1,12}$/.test(timestampHeader)) return { ok: false, reason: "invalid_timestamp" };
	const der = base64ToBytes(signatureHeader);
	const signature = der && derToP1363(der);
	if (!signature) return { ok: false, reason: "malformed_signature" };
	const signed = concatBytes(utf8(timestampHeader), rawBody);
	let matched = false;
	for (const key of publicKeys) {
		if (await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, signature, signed)) {
			matched = true;
			break;
		}
	}
	if (!matched) return { ok: false, reason: "no_matching_signature" };
	const sentAt = Number(timestampHeader);
	if (toleranceSeconds !== null) {
		if (nowSeconds - sentAt > toleranceSeconds) return { ok: false, reason: "timestamp_too_old" };
		if (sentAt - nowSeconds > toleranceSeconds) return { ok: false, reason: "timestamp_too_new" };
	}
	return { ok: true, timestamp: sentAt };
}
