/**
 * @module signatures/query-token
 * Checks a secret token carried in the webhook URL's query string (`?token=…`), which is how Shippo
 * webhooks are protected: Shippo's documented webhooks carry no signature of their own
 * (https://docs.goshippo.com/docs/tracking/webhooks), so the URL registered with Shippo holds the
 * secret, as Basic credentials do for Postmark (src/signatures/basic-auth.ts).
 *
 * The setting (`SHIPPO_WEBHOOK_TOKEN`) holds one or more tokens separated by spaces or commas
 * (rotation), so a token holds neither; it should be URL-safe (`openssl rand -hex 32`): the query
 * value is compared after URL decoding, where `+` reads as a space. Shippo wants the whole URL under
 * 200 characters.
 *
 * Comparison: the received token and every allowed one are hashed with SHA-256 and compared with
 * `crypto.subtle.timingSafeEqual`, every allowed token each time, so neither the length nor the
 * position of a match leaks through timing. The token is a secret: it is never returned, and a
 * caller must not log the request URL (src/webhooks/receive.ts logs none; tools/dev/log-lines.ts
 * hides it in wrangler's request lines).
 *
 * Never throws on request input. Trust boundary: the URL is attacker-controlled.
 */
import { timingSafeEqual, utf8 } from "./bytes";
import { splitSecrets } from "./secrets";

export type QueryTokenFailure = "missing_signature" | "no_matching_credentials";

export type QueryTokenResult = { ok: true } | { ok: false; reason: QueryTokenFailure };

/** The query parameter that carries the token. */
export const TOKEN_PARAMETER = "token";

const hashedSettings = new Map<string, Promise<Uint8Array[]>>();

const sha256 = async (bytes: Uint8Array) => new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));

/** The SHA-256 of every token of a setting, computed once per isolate. */
function allowedHashes(setting: string): Promise<Uint8Array[]> {
	let hashes = hashedSettings.get(setting);
	if (!hashes) {
		hashes = Promise.all(splitSecrets(setting).map((token) => sha256(utf8(token))));
		hashes.catch(() => hashedSettings.delete(setting));
		hashedSettings.set(setting, hashes);
	}
	return hashes;
}

/**
 * Checks the `token` query parameter of a request's URL against the allowed tokens.
 * @param url the request's URL.
 * @param allowed the setting: tokens separated by spaces or commas. An empty setting matches nothing
 *   (the caller answers `not_configured` before calling).
 */
export async function verifyQueryToken(url: URL, allowed: string): Promise<QueryTokenResult> {
	const token = url.searchParams.get(TOKEN_PARAMETER);
	if (!token) return { ok: false, reason: "missing_signature" };
	const received = await sha256(utf8(token));
	let matched = false;
	for (const hash of await allowedHashes(allowed)) {
		if (timingSafeEqual(received, hash)) matched = true;
	}
	return matched ? { ok: true } : { ok: false, reason: "no_matching_credentials" };
}
