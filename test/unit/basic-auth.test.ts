/**
 * HTTP Basic credentials as Postmark sends them (its webhook URL carries `user:password@`), checked against the
 * POSTMARK_WEBHOOK_BASIC_AUTH setting: several pairs allowed, scheme case-insensitive, password with colons.
 */
import { describe, expect, it } from "vitest";
import { verifyBasicAuth } from "../../src/signatures/basic-auth";

const basic = (credentials: string) => `Basic ${btoa(credentials)}`;
/** Base64 of UTF-8 bytes (btoa takes Latin-1 only). */
const basicUtf8 = (credentials: string) =>
	`Basic ${btoa(String.fromCharCode(...new TextEncoder().encode(credentials)))}`;

const reason = async (header: string | null, allowed: string) => {
	const result = await verifyBasicAuth(header, allowed);
	return result.ok ? "accepted" : result.reason;
};

describe("verifyBasicAuth", () => {
	const allowed = "postmark:s3cret-Pa55, rotated:n3w:pass:with:colons";

	it.each([
		["the first pair", basic("postmark:s3cret-Pa55")],
		["the second pair, whose password holds colons", basic("rotated:n3w:pass:with:colons")],
		["a lower-case scheme", `basic ${btoa("postmark:s3cret-Pa55")}`],
		["an upper-case scheme", `BASIC ${btoa("postmark:s3cret-Pa55")}`],
		["several spaces after the scheme", `Basic    ${btoa("postmark:s3cret-Pa55")}`],
		["no base64 padding", `Basic ${btoa("postmark:s3cret-Pa55").replace(/=+$/, "")}`],
	])("accepts %s", async (_, header) => {
		expect(await verifyBasicAuth(header, allowed)).toEqual({ ok: true });
	});

	it.each([
		["no header", null, "missing_header"],
		["an empty header", "", "missing_header"],
		["the Bearer scheme", `Bearer ${btoa("postmark:s3cret-Pa55")}`, "not_basic"],
		["a scheme only", "Basic", "not_basic"],
		["a scheme and a space", "Basic ", "not_basic"],
		["no scheme", btoa("postmark:s3cret-Pa55"), "not_basic"],
		["a scheme glued to the credentials", `Basic${btoa("postmark:s3cret-Pa55")}`, "not_basic"],
		["bad base64", "Basic not*base64!", "not_basic"],
		["base64 of one character too many", "Basic abcde", "not_basic"],
		["two tokens", `Basic ${btoa("postmark:s3cret-Pa55")} ${btoa("x:y")}`, "not_basic"],
		["credentials without a colon", basic("postmarks3cret-Pa55"), "not_basic"],
		["a wrong password", basic("postmark:s3cret-Pa56"), "no_matching_credentials"],
		["a wrong user", basic("Postmark:s3cret-Pa55"), "no_matching_credentials"],
		["a password prefix", basic("postmark:s3cret"), "no_matching_credentials"],
		["a password with a suffix", basic("postmark:s3cret-Pa55x"), "no_matching_credentials"],
		["the colon split elsewhere", basic("rotated:n3w:pass:with"), "no_matching_credentials"],
		["the whole setting", basic(allowed), "no_matching_credentials"],
		["user and password swapped", basic("s3cret-Pa55:postmark"), "no_matching_credentials"],
		["an empty user and password", basic(":"), "no_matching_credentials"],
	])("refuses %s", async (_, header, expected) => {
		expect(await reason(header, allowed)).toBe(expected);
	});

	it("reads the setting's pairs separated by spaces, commas or newlines", async () => {
		for (const setting of ["a:1 b:2", "a:1,b:2", " a:1 ,\n b:2 \n", "b:2"]) {
			expect(await reason(basic("b:2"), setting)).toBe("accepted");
		}
	});

	it("matches nothing with an empty setting or entries without a colon", async () => {
		expect(await reason(basic("a:1"), "")).toBe("no_matching_credentials");
		expect(await reason(basic(":"), "")).toBe("no_matching_credentials");
		expect(await reason(basic("a:"), "a")).toBe("no_matching_credentials");
	});

	it("accepts an empty password when the setting allows it", async () => {
		expect(await reason(basic("user:"), "user:")).toBe("accepted");
	});

	it("compares the UTF-8 bytes of non-ASCII credentials", async () => {
		expect(await reason(basicUtf8("lüfter:pässwörd"), "lüfter:pässwörd")).toBe("accepted");
		expect(await reason(basic("lüfter:pässwörd"), "lüfter:pässwörd")).toBe("no_matching_credentials");
	});
});
