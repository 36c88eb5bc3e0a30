/**
 * @module signatures/standard-webhooks
 * Verifies the Standard Webhooks / Svix scheme (Clerk, Resend): `svix-*` or `webhook-*` headers,
 * signed content `${id}.${timestamp}.${rawBody}`, a space-separated list of `v1,<base64 HMAC-SHA256>`
 * and `v1a,<base64 Ed25519>` signatures, ±300 s tolerance. Pure: the clock is a parameter.
 * Trust boundary: everything in the request is attacker-controlled until this returns ok.
 */
import { base64ToBytes, concatBytes, timingSafeEqual, utf8 } from "./bytes";
import { splitSecrets } from "./secrets";

export type StandardWebhooksFailure =
	| "missing_headers"
	| "invalid_timestamp"
	| "no_matching_signature"
	| "timestamp_too_old"
	| "timestamp_too_new";

export type StandardWebhooksResult =
	| { ok: true; id: string; timestamp: number }
	| { ok: false; reason: StandardWebhooksFailure };

/** The keys one secret setting holds: HMAC secrets (`whsec_…`) and Ed25519 public keys (`whpk_…`). */
export interface StandardWebhooksKeys {
	hmac: CryptoKey[];
	ed25519: CryptoKey[];
}

export const DEFAULT_TOLERANCE_SECONDS = 300;

async function importSecret(secret: string): Promise<{ kind: "hmac" | "ed25519"; key: CryptoKey }> {
	const isPublicKey = secret.startsWith("whpk_");
	const bytes = base64ToBytes(secret.replace(/^whsec_|^whpk_/, ""));
	if (!bytes || bytes.byteLength === 0) {
		throw new Error("a Standard Webhooks secret is not base64: copy it exactly as the provider shows it (whsec_…)");
	}
	if (isPublicKey) {
		const key = await crypto.subtle.importKey("raw", bytes, { name: "Ed25519" }, false, ["verify"]);
		return { kind: "ed25519", key };
	}
	const key = await crypto.subtle.importKey("raw", bytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
	return { kind: "hmac", key };
}

const importedKeys = new Map<string, Promise<StandardWebhooksKeys>>();

/** Imports every secret of a setting once per isolate. Throws when a secret is not base64. */
export function standardWebhooksKeys(setting: string): Promise<StandardWebhooksKeys> {
	let keys = importedKeys.get(setting);
	if (!keys) {
		keys = Promise.all(splitSecrets(setting).map(importSecret)).then((imported) => ({
			hmac: imported.filter((k) => k.kind === "hmac").map((k) => k.key),
			ed25519: imported.filter((k) => k.kind === "ed25519").map((k) => k.key),
		}));
		keys.catch(() => importedKeys.delete(setting));
		importedKeys.set(setting, keys);
	}
	return keys;
}

/**
 * Reads the id/timestamp/signature triple, each field on its own: `svix-<field>` when present, else
 * `webhook-<field>`, so any mix of the two prefixes works, as in the svix library's `Webhook.verify`.
 */
function readHeaders(headers: Headers) {
	const field = (name: string) => headers.get(`svix-${name}`) ?? headers.get(`webhook-${name}`);
	return { id: field("id"), timestamp: field("timestamp"), signature: field("signature") };
}

/** The signatures of one version listed in the header, decoded; undecodable entries are dropped. */
function signaturesOf(header: string, version: "v1" | "v1a"): Uint8Array[] {
	return header
		.split(" ")
		.map((entry) => entry.split(","))
		.filter(([v, sig]) => v === version && sig)
		.map(([, sig]) => base64ToBytes(sig as string))
		.filter((sig): sig is Uint8Array => sig !== undefined);
}

async function anySignatureMatches(keys: StandardWebhooksKeys, header: string, signed: Uint8Array) {
	const v1 = signaturesOf(header, "v1");
	if (v1.length > 0) {
		for (const key of keys.hmac) {
			const expected = new Uint8Array(await crypto.subtle.sign("HMAC", key, signed));
			if (v1.some((sig) => timingSafeEqual(sig, expected))) return true;
		}
	}
	const v1a = signaturesOf(header, "v1a");
	for (const key of keys.ed25519) {
		for (const sig of v1a) {
			if (await crypto.subtle.verify({ name: "Ed25519" }, key, sig, signed)) return true;
		}
	}
	return false;
}

/**
 * Verifies a delivery against its raw body bytes. `nowSeconds` is the verifier's clock (unix seconds).
 * Exactly `tolerance` seconds off is accepted, as the reference libraries do.
 */
export async function verifyStandardWebhook(
	keys: StandardWebhooksKeys,
	headers: Headers,
	rawBody: Uint8Array,
	nowSeconds: number,
	toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): Promise<StandardWebhooksResult> {
	const { id, timestamp, signature } = readHeaders(headers);
	if (!id || !timestamp || !signature) return { ok: false, reason: "missing_headers" };
	if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: "invalid_timestamp" };
	const signed = concatBytes(utf8(`${id}.${timestamp}.`), rawBody);
	if (!(await anySignatureMatches(keys, signature, signed))) {
		return { ok: false, reason: "no_matching_signature" };
	}
	const sentAt = Number(timestamp);
	if (nowSeconds - sentAt > toleranceSeconds) return { ok: false, reason: "timestamp_too_old" };
	if (sentAt - nowSeconds > toleranceSeconds) return { ok: false, reason: "timestamp_too_new" };
	return { ok: true, id, timestamp: sentAt };
}
