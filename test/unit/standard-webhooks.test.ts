/**
 * The Standard Webhooks / Svix verifier against every vector in test/fixtures/signatures (official and generated, each
 * agreed by the svix, standardwebhooks and @clerk/backend libraries), plus the secret-list parsing.
 */
import { describe, expect, it } from "vitest";
import { utf8 } from "../../src/signatures/bytes";
import { splitSecrets } from "../../src/signatures/secrets";
import { standardWebhooksKeys, verifyStandardWebhook } from "../../src/signatures/standard-webhooks";
import { svixVectors, vectorBody } from "../support/vectors";

const cases = svixVectors;

describe("verifyStandardWebhook", () => {
	it("has the vectors to run", () => {
		expect(cases.length).toBe(43);
	});

	it.each(cases.map((v) => [v.description, v] as const))("%s", async (_, vector) => {
		const keys = await standardWebhooksKeys(vector.secret_or_key);
		const result = await verifyStandardWebhook(
			keys,
			new Headers(vector.headers),
			utf8(vectorBody(vector)),
			vector.now,
			vector.tolerance_seconds,
		);
		expect(result.ok).toBe(vector.expected_valid);
	});

	it("names the reason for each kind of rejection", async () => {
		const [official] = cases;
		if (!official) throw new Error("no vectors");
		const keys = await standardWebhooksKeys(official.secret_or_key);
		const body = utf8(official.body as string);
		const verify = (headers: Record<string, string>, now = official.now) =>
			verifyStandardWebhook(keys, new Headers(headers), body, now);
		const { "svix-signature": signature, ...withoutSignature } = official.headers;
		expect(await verify(withoutSignature)).toEqual({ ok: false, reason: "missing_headers" });
		expect(await verify({ ...official.headers, "svix-timestamp": "1e9" })).toEqual({
			ok: false,
			reason: "invalid_timestamp",
		});
		expect(await verify({ ...official.headers, "svix-signature": `v1,${btoa("x".repeat(32))}` })).toEqual({
			ok: false,
			reason: "no_matching_signature",
		});
		expect(await verify(official.headers, official.now + 301)).toEqual({ ok: false, reason: "timestamp_too_old" });
		expect(await verify(official.headers, official.now - 301)).toEqual({ ok: false, reason: "timestamp_too_new" });
		expect(signature).toBeTruthy();
	});

	it("imports each secret setting once per isolate", () => {
		const setting = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
		expect(standardWebhooksKeys(setting)).toBe(standardWebhooksKeys(setting));
	});

	it("refuses a secret that is not base64, saying how to fix it", async () => {
		await expect(standardWebhooksKeys("whsec_not base64!")).rejects.toThrow(/copy it exactly/);
	});
});

describe("splitSecrets", () => {
	it.each([
		["whsec_a", ["whsec_a"]],
		["whsec_a whsec_b", ["whsec_a", "whsec_b"]],
		["whsec_a,whsec_b", ["whsec_a", "whsec_b"]],
		[" whsec_a ,  whsec_b\n", ["whsec_a", "whsec_b"]],
		["", []],
	])("%j", (setting, expected) => {
		expect(splitSecrets(setting)).toEqual(expected);
	});
});
