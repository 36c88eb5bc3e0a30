/**
 * The EasyPost signature verifier (src/signatures/easypost.ts) against every vector of
 * test/fixtures/signatures/easypost.json, and what the vectors leave open: rotation, the NFKD key,
 * the newer v2 headers, an empty header.
 */
import { describe, expect, it } from "vitest";
import { utf8 } from "../../src/signatures/bytes";
import { easypostKeys, verifyEasyPostSignature } from "../../src/signatures/easypost";
import { type CarrierVector, easypostSignature, easypostVectors, settingOf } from "../support/carriers";

async function verifyVector(v: CarrierVector, setting = settingOf(v)) {
	return verifyEasyPostSignature(await easypostKeys(setting), v.headers["x-hmac-signature"] ?? null, utf8(v.body));
}

const vector = (description: string) => {
	const found = easypostVectors.find((v) => v.description.startsWith(description));
	if (!found) throw new Error(`no vector "${description}"`);
	return found;
};

describe("verifyEasyPostSignature", () => {
	it("has the vectors", () => {
		expect(easypostVectors).toHaveLength(13);
	});

	it.each(easypostVectors.map((v, i) => [`${i}: ${v.description}`, v] as const))("%s", async (_, v) => {
		const result = await verifyVector(v);
		expect(result.ok).toBe(v.expected_valid);
		if (!result.ok) {
			expect(result.reason).toBe(v.headers["x-hmac-signature"] ? "no_matching_signature" : "missing_header");
		}
	});

	it("accepts a delivery signed with any secret of the setting (rotation), refuses one signed with none", async () => {
		const v = vector("tracker.updated (delivered), ASCII secret, valid");
		const secret = settingOf(v);
		for (const setting of [`whk_new ${secret}`, `${secret},whk_new`, ` whk_new ,\n ${secret} `])
			expect(await verifyVector(v, setting)).toEqual({ ok: true });
		expect(await verifyVector(v, "whk_new whk_other")).toEqual({ ok: false, reason: "no_matching_signature" });
	});

	it("keys with the NFKD form of the secret: the compatibility characters of a setting's second secret too", async () => {
		const body = '{"description":"tracker.updated","id":"evt_nfkd"}';
		const header = await easypostSignature(body, "finance-SECRET-2024");
		const keys = await easypostKeys("whk_first ﬁnance-ＳＥＣＲＥＴ-2024");
		expect(await verifyEasyPostSignature(keys, header, utf8(body))).toEqual({ ok: true });
	});

	it("an absent or empty X-Hmac-Signature is missing (the endpoint test sends v2 headers without it)", async () => {
		const v = vector("official vector");
		const keys = await easypostKeys(settingOf(v));
		const v1 = v.headers["x-hmac-signature"] as string;
		expect(await verifyEasyPostSignature(keys, null, utf8(v.body))).toEqual({
			ok: false,
			reason: "missing_header",
		});
		expect(await verifyEasyPostSignature(keys, "", utf8(v.body))).toEqual({ ok: false, reason: "missing_header" });
		expect(await verifyEasyPostSignature(keys, v1, utf8(v.body))).toEqual({ ok: true });
	});

	it.each([
		["a trailing space", (h: string) => `${h} `],
		["a leading space", (h: string) => ` ${h}`],
		["another scheme name", (h: string) => h.replace("hmac-sha256-hex=", "hmac-sha512-hex=")],
		["a truncated digest", (h: string) => h.slice(0, -2)],
		["the digest twice", (h: string) => `${h},${h.split("=")[1]}`],
	])("refuses the header with %s", async (_, edit) => {
		const v = vector("official vector");
		const result = await verifyVector({
			...v,
			headers: { "x-hmac-signature": edit(v.headers["x-hmac-signature"] as string) },
		});
		expect(result).toEqual({ ok: false, reason: "no_matching_signature" });
	});

	it("imports a setting's keys once", () => {
		expect(easypostKeys("whk_once")).toBe(easypostKeys("whk_once"));
	});
});
