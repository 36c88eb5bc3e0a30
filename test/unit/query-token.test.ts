/**
 * The secret token of a webhook URL's query string (`?token=…`), as Shippo's endpoint is protected
 * (src/signatures/query-token.ts): several tokens allowed, compared exactly, after URL decoding.
 */
import { describe, expect, it } from "vitest";
import { verifyQueryToken } from "../../src/signatures/query-token";

const url = (query: string) => new URL(`https://shop.example/api/webhooks/shipping/shippo${query}`);
const reason = async (query: string, allowed: string) => {
	const result = await verifyQueryToken(url(query), allowed);
	return result.ok ? "accepted" : result.reason;
};

describe("verifyQueryToken", () => {
	const allowed = "4f1c9a7e2b, 0d3e8f6a1c";

	it.each([
		["the first token", "?token=4f1c9a7e2b"],
		["the second token", "?token=0d3e8f6a1c"],
		["the token among other parameters", "?source=shippo&token=0d3e8f6a1c&x=1"],
		["a percent-encoded token", "?token=%34f1c9a7e2b"],
	])("accepts %s", async (_, query) => {
		expect(await reason(query, allowed)).toBe("accepted");
	});

	it.each([
		["no query", "", "missing_signature"],
		["no token parameter", "?tok=4f1c9a7e2b", "missing_signature"],
		["an empty token", "?token=", "missing_signature"],
		["a Token in another case", "?Token=4f1c9a7e2b", "missing_signature"],
		["a wrong token", "?token=4f1c9a7e2c", "no_matching_credentials"],
		["a prefix of a token", "?token=4f1c9a7e", "no_matching_credentials"],
		["a token with a suffix", "?token=4f1c9a7e2bx", "no_matching_credentials"],
		["the whole setting", `?token=${encodeURIComponent(allowed)}`, "no_matching_credentials"],
		["a token in another case", "?token=4F1C9A7E2B", "no_matching_credentials"],
		["two tokens joined", "?token=4f1c9a7e2b,0d3e8f6a1c", "no_matching_credentials"],
		["a wrong first token and a right second one", "?token=wrong&token=4f1c9a7e2b", "no_matching_credentials"],
	])("refuses %s", async (_, query, expected) => {
		expect(await reason(query, allowed)).toBe(expected);
	});

	it("reads the setting's tokens separated by spaces, commas or newlines", async () => {
		for (const setting of ["a1 b2", "a1,b2", " a1 ,\n b2 \n", "b2"])
			expect(await reason("?token=b2", setting)).toBe("accepted");
	});
});
