/**
 * The AfterShip signature verifier (src/signatures/aftership.ts) against every vector of
 * test/fixtures/signatures/aftership.json, and the older header of organisations created before
 * 25 October 2022 (`am-webhook-signature: hmac-sha256=<base64>`).
 */
import { describe, expect, it } from "vitest";
import { aftershipKeys, verifyAfterShipSignature } from "../../src/signatures/aftership";
import { utf8 } from "../../src/signatures/bytes";
import { aftershipVectors, type CarrierVector, settingOf } from "../support/carriers";

async function verifyVector(v: CarrierVector, headers: Record<string, string> = v.headers, setting = settingOf(v)) {
	return verifyAfterShipSignature(await aftershipKeys(setting), new Headers(headers), utf8(v.body));
}

const inTransit = () => {
	const found = aftershipVectors.find((v) => v.description === "tracking_update msg.tag=InTransit, valid");
	if (!found) throw new Error("no InTransit vector");
	return found;
};
const signatureOf = (v: CarrierVector) => v.headers["aftership-hmac-sha256"] as string;

describe("verifyAfterShipSignature", () => {
	it("has the vectors", () => {
		expect(aftershipVectors).toHaveLength(10);
	});

	it.each(aftershipVectors.map((v, i) => [`${i}: ${v.description}`, v] as const))("%s", async (_, v) => {
		const result = await verifyVector(v);
		expect(result.ok).toBe(v.expected_valid);
		if (!result.ok) {
			expect(result.reason).toBe(v.headers["aftership-hmac-sha256"] ? "no_matching_signature" : "missing_header");
		}
	});

	it("accepts the older am-webhook-signature header, with its hmac-sha256= prefix only", async () => {
		const v = inTransit();
		const signature = signatureOf(v);
		expect(await verifyVector(v, { "am-webhook-signature": `hmac-sha256=${signature}` })).toEqual({ ok: true });
		expect(await verifyVector(v, { "am-webhook-signature": signature })).toEqual({
			ok: false,
			reason: "missing_header",
		});
		expect(await verifyVector(v, { "am-webhook-signature": "hmac-sha256=" })).toEqual({
			ok: false,
			reason: "missing_header",
		});
		expect(await verifyVector(v, { "am-webhook-signature": `hmac-sha256=${signature.slice(1)}` })).toEqual({
			ok: false,
			reason: "no_matching_signature",
		});
	});

	it("accepts a delivery when either header matches, refuses it when neither does", async () => {
		const v = inTransit();
		const signature = signatureOf(v);
		const wrong = "5yCmhRpMdWmYxQBjRyPpTxhmIC8iaFE6uwHf6WKK/dz=";
		expect(
			await verifyVector(v, { "aftership-hmac-sha256": wrong, "am-webhook-signature": `hmac-sha256=${signature}` }),
		).toEqual({ ok: true });
		expect(
			await verifyVector(v, { "aftership-hmac-sha256": wrong, "am-webhook-signature": `hmac-sha256=${wrong}` }),
		).toEqual({ ok: false, reason: "no_matching_signature" });
	});

	it("reads the setting's secrets separated by spaces, commas or newlines (rotation)", async () => {
		const v = inTransit();
		const secret = settingOf(v);
		for (const setting of [`other ${secret}`, `${secret},other`, ` other ,\n ${secret} `])
			expect(await verifyVector(v, v.headers, setting)).toEqual({ ok: true });
		expect(await verifyVector(v, v.headers, "other another")).toEqual({ ok: false, reason: "no_matching_signature" });
	});

	it("imports a setting's keys once", () => {
		expect(aftershipKeys("once")).toBe(aftershipKeys("once"));
	});
});
