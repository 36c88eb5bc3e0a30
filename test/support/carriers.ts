/**
 * Test helper for the parcel-tracking providers (EasyPost, AfterShip, Shippo): their signature
 * vectors (test/fixtures/signatures/{easypost,aftership}.json), their example payloads, and requests
 * signed as each provider signs, with the test Worker's secrets (test/support/secrets.ts) unless told
 * otherwise.
 */
import aftershipVectorFile from "@fixtures/signatures/aftership.json";
import easypostVectorFile from "@fixtures/signatures/easypost.json";
import { bytesToHex, utf8 } from "../../src/signatures/bytes";
import { aftershipSecret, easypostSecret, shippoToken } from "./secrets";

/** A vector of easypost.json or aftership.json: no clock matters (the schemes sign no time). */
export interface CarrierVector {
	kind: string;
	description: string;
	/** AfterShip's may be a list: the receiver's configured secrets (rotation). */
	secret_or_key: string | string[];
	headers: Record<string, string>;
	body: string;
	now: number | null;
	expected_valid: boolean;
	policy_dependent?: boolean;
}

const vectorsOf = (file: unknown) => (file as CarrierVector[]).filter((v) => v.kind === "vector");
export const easypostVectors = vectorsOf(easypostVectorFile);
export const aftershipVectors = vectorsOf(aftershipVectorFile);

/** A vector's secrets as the endpoint's setting holds them: several separated by a space. */
export const settingOf = (v: CarrierVector) =>
	Array.isArray(v.secret_or_key) ? v.secret_or_key.join(" ") : v.secret_or_key;

/** The carrier endpoints and the setting each reads. */
export const carrierEndpoints = {
	easypost: { path: "/api/webhooks/shipping/easypost", secret: "EASYPOST_WEBHOOK_SECRET" },
	aftership: { path: "/api/webhooks/shipping/aftership", secret: "AFTERSHIP_WEBHOOK_SECRET" },
	shippo: { path: "/api/webhooks/shipping/shippo", secret: "SHIPPO_WEBHOOK_TOKEN" },
} as const;
export type CarrierName = keyof typeof carrierEndpoints;
export const carrierNames = Object.keys(carrierEndpoints) as CarrierName[];

async function hmac(key: Uint8Array, body: string): Promise<Uint8Array> {
	const imported = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
	return new Uint8Array(await crypto.subtle.sign("HMAC", imported, utf8(body)));
}

/** EasyPost's header for `body`: `hmac-sha256-hex=` and the hex HMAC keyed with NFKD(secret). */
export async function easypostSignature(body: string, secret = easypostSecret): Promise<string> {
	return `hmac-sha256-hex=${bytesToHex(await hmac(utf8(secret.normalize("NFKD")), body))}`;
}

/** AfterShip's header for `body`: base64 HMAC keyed with the secret. */
export async function aftershipSignature(body: string, secret = aftershipSecret): Promise<string> {
	return btoa(String.fromCharCode(...(await hmac(utf8(secret), body))));
}

export interface CarrierRequestOptions {
	/** the path to post to (default: the provider's own) */
	path?: string;
	/** the secret (Shippo: the token) to sign with (default: the test Worker's first) */
	secret?: string;
	/** headers that replace or join the signed ones */
	headers?: Record<string, string>;
}

/** A request carrying `body` (an object is sent as its JSON) as `provider` sends it, signed. */
export async function carrierRequest(
	provider: CarrierName,
	body: unknown,
	options: CarrierRequestOptions = {},
): Promise<Request> {
	const text = typeof body === "string" ? body : JSON.stringify(body);
	const url = new URL(`http://shop.test${options.path ?? carrierEndpoints[provider].path}`);
	const headers: Record<string, string> = { "content-type": "application/json" };
	if (provider === "easypost") headers["x-hmac-signature"] = await easypostSignature(text, options.secret);
	if (provider === "aftership") headers["aftership-hmac-sha256"] = await aftershipSignature(text, options.secret);
	if (provider === "shippo") url.searchParams.set("token", options.secret ?? shippoToken);
	return new Request(url, { method: "POST", headers: { ...headers, ...options.headers }, body: text });
}

/** A deep copy of a fixture, to edit. */
export const copyOf = <T>(fixture: T): T => structuredClone(fixture);
