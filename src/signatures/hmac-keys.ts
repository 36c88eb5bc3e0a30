/**
 * @module signatures/hmac-keys
 * HMAC-SHA256 keys of a secret setting (one or more secrets separated by spaces or commas, for
 * rotation: src/signatures/secrets.ts), imported once per isolate and reused. Each scheme says how a
 * secret becomes key bytes (EasyPost NFKD-normalises it first; AfterShip takes it as it is).
 * Trust boundary: the settings are the operator's; nothing here reads a request.
 */
import { splitSecrets } from "./secrets";

const imported = new Map<string, Promise<CryptoKey[]>>();

/**
 * The signing keys of `setting`, imported once per isolate and `scheme` (the cache key: two schemes
 * turning one setting into different bytes never share keys).
 * @param toKeyBytes the key bytes of one secret, as the scheme derives them.
 */
export function hmacKeys(
	scheme: string,
	setting: string,
	toKeyBytes: (secret: string) => Uint8Array,
): Promise<CryptoKey[]> {
	const cacheKey = `${scheme}\u0000${setting}`;
	let keys = imported.get(cacheKey);
	if (!keys) {
		keys = Promise.all(
			splitSecrets(setting).map((secret) =>
				crypto.subtle.importKey("raw", toKeyBytes(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]),
			),
		);
		keys.catch(() => imported.delete(cacheKey));
		imported.set(cacheKey, keys);
	}
	return keys;
}

/** HMAC-SHA256 of `content` with each key, in the keys' order. */
export async function hmacsOf(keys: readonly CryptoKey[], content: Uint8Array): Promise<Uint8Array[]> {
	return Promise.all(keys.map(async (key) => new Uint8Array(await crypto.subtle.sign("HMAC", key, content))));
}
