/**
 * @module signatures/basic-auth
 * Checks HTTP Basic credentials (RFC 7617), which is how Postmark webhooks are protected: Postmark
 * signs nothing; the webhook URL carries `https://user:password@host/…` and Postmark sends them as
 * `Authorization: Basic base64(user ":" password)`.
 *
 * The setting (`POSTMARK_WEBHOOK_BASIC_AUTH`) holds one or more `user:password` pairs separated by
 * spaces or commas (rotation), so a password cannot contain a space or a comma; it may contain `:`
 * (RFC 7617 §2: the user-id ends at the FIRST colon). An entry without a colon never matches.
 *
 * Comparison: the received credentials and every allowed pair are hashed with SHA-256 and compared
 * with `crypto.subtle.timingSafeEqual`, every allowed pair each time, so neither the length nor the
 * position of a match leaks through timing. The bytes compared are the decoded header exactly as
 * sent and the UTF-8 bytes of the setting.
 *
 * Never throws on request input. Trust boundary: the header is attacker-controlled.
 */
import { base64ToBytes, timingSafeEqual, utf8 } from "./bytes";
import { splitSecrets } from "./secrets";

export type BasicAuthFailure = "missing_header" | "not_basic" | "no_matching_credentials";

export type BasicAuthResult = { ok: true } | { ok: false; reason: BasicAuthFailure };

const COLON = 0x3a;

const hashedSettings = new Map<string, Promise<Uint8Array[]>>();

const sha256 = async (bytes: Uint8Array) => new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));

/** The SHA-256 of every `user:password` of a setting, computed once per isolate. */
function allowedHashes(setting: string): Promise<Uint8Array[]> {
	let hashes = hashedSettings.get(setting);
	if (!hashes) {
		hashes = Promise.all(
			splitSecrets(setting)
				.filter((pair) => pair.includes(":"))
				.map((pair) => sha256(utf8(pair))),
		);
		hashes.catch(() => hashedSettings.delete(setting));
		hashedSettings.set(setting, hashes);
	}
	return hashes;
}

/**
 * The `user:password` bytes of a Basic `Authorization` header, or undefined when the header is not
 * one: the scheme is matched case-insensitively (RFC 7235 §2.1), then one base64 token68 whose
 * decoding contains a colon.
 */
function credentialsOf(header: string): Uint8Array | undefined {
	const match = /^\s*basic\s+([A-Za-z0-9+/]+=*)\s*$/i.exec(header);
	const decoded = match?.[1] ? base64ToBytes(match[1]) : undefined;
	return decoded?.includes(COLON) ? decoded : undefined;
}

/**
 * Checks an `Authorization` header against the allowed credentials.
 * @param authorizationHeader the request's `Authorization` header, or null when absent.
 * @param allowed the setting: `user:password` pairs separated by spaces or commas. An empty setting
 *   matches nothing (the caller answers `not_configured` before calling).
 */
export async function verifyBasicAuth(authorizationHeader: string | null, allowed: string): Promise<BasicAuthResult> {
	if (!authorizationHeader) return { ok: false, reason: "missing_header" };
	const credentials = credentialsOf(authorizationHeader);
	if (!credentials) return { ok: false, reason: "not_basic" };
	const received = await sha256(credentials);
	let matched = false;
	for (const hash of await allowedHashes(allowed)) {
		if (timingSafeEqual(received, hash)) matched = true;
	}
	return matched ? { ok: true } : { ok: false, reason: "no_matching_credentials" };
}
