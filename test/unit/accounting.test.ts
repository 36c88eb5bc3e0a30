/**
 * Pure pieces of "every signed event accounted for": which database failures are transient
 * (src/db/errors.ts), what jsonb and text can hold (src/webhooks/storable.ts), and reasons that
 * never echo a sender's key or value (src/validation.ts).
 */
import { describe, expect, it } from "vitest";
import * as z from "zod/mini";
import { isTransient, refusalReason, sqlState } from "../../src/db/errors";
import { withoutQuotedValues } from "../../src/log";
import { describeIssues } from "../../src/validation";
import { isStorableText, ledgerBody, MAX_STORED_DEPTH, toStorableText } from "../../src/webhooks/storable";

/** An error shaped as the Neon driver throws it (a NeonDbError, `code` = SQLSTATE when Postgres answered). */
function neonError(code?: string): Error {
	const error = new Error("failed") as Error & { code?: string };
	error.name = "NeonDbError";
	if (code) error.code = code;
	return error;
}

describe("isTransient", () => {
	it.each(["08000", "08006", "40001", "40P01", "53100", "53300", "57014", "57P01", "57P03", "58030", "55P03"])(
		"SQLSTATE %s is transient",
		(code) => expect(isTransient(neonError(code))).toBe(true),
	);
	it.each(["22P05", "22P02", "22003", "22008", "23505", "23514", "54000", "54001", "P0001", "42P01", "XX000"])(
		"SQLSTATE %s is deterministic",
		(code) => expect(isTransient(neonError(code))).toBe(false),
	);
	it("a driver error without a SQLSTATE (unreachable, HTTP 5xx) is transient", () => {
		expect(isTransient(neonError())).toBe(true);
		expect(isTransient(new Error("Failed query", { cause: neonError() }))).toBe(true);
	});
	it("our own code throwing is deterministic", () => {
		expect(isTransient(new RangeError("Invalid time value"))).toBe(false);
		expect(isTransient(new TypeError("x is undefined"))).toBe(false);
	});
	it("reads the SQLSTATE through drizzle's wrapper", () => {
		expect(sqlState(new Error("Failed query: … params: secret", { cause: neonError("22P05") }))).toBe("22P05");
		expect(refusalReason(neonError("22P05"))).toBe("database refused the event: 22P05 untranslatable_character");
		expect(refusalReason(neonError("P0001"))).toBe("database refused the event: P0001");
		expect(refusalReason(new RangeError("Invalid time value: 2026"))).toBe(
			"internal error while applying the event: RangeError",
		);
	});
});

describe("storable text", () => {
	it.each([
		["Ad\u0000a", false, "Ada"],
		["Zo\ud83d", false, "Zo\ufffd"],
		["\udc00start", false, "\ufffdstart"],
		["ok 😀", true, "ok 😀"],
		["", true, ""],
	])("%j: storable %s, stored as %j", (value, storable, stored) => {
		expect(isStorableText(value)).toBe(storable);
		expect(toStorableText(value)).toBe(stored);
	});
});

describe("ledgerBody", () => {
	it("keeps an ordinary body as it came, with no raw copy", () => {
		const text = '{"a":1,"b":"x"}';
		expect(ledgerBody(text, JSON.parse(text))).toEqual({ payload: text, rawBody: null });
	});
	it.each([
		['{"a":"\\u0000"}', '{"a":""}'],
		['{"\\u0000k":1}', '{"k":1}'],
		['{"a":"\\ud83d"}', '{"a":"\ufffd"}'],
		['{"n":1e131072}', '{"n":null}'],
		['{"n":1e-16384}', '{"n":0}'],
	])("%s is stored as %s, the body verbatim beside it", (text, payload) => {
		expect(ledgerBody(text, JSON.parse(text))).toEqual({ payload, rawBody: text });
	});
	it.each([
		'{"id":"pi_3Qe1234abcd","n":12e300}',
		String.raw`{"a":"\\u0000 is an escaped backslash, not a NUL"}`,
		String.raw`{"a":"\\ud83d is escaped too, \ud83d\ude00 is a pair"}`,
		`${"[".repeat(MAX_STORED_DEPTH)}${"]".repeat(MAX_STORED_DEPTH)}`,
	])("%s: no copy (no false alarm on ids, escaped backslashes or pairs)", (text) => {
		expect(ledgerBody(text, JSON.parse(text))).toEqual({ payload: text, rawBody: null });
	});
	it("a body of many cut subtrees stays small in its copy", () => {
		const deep = `${"[".repeat(MAX_STORED_DEPTH)}${"[],".repeat(100_000)}[]${"]".repeat(MAX_STORED_DEPTH)}`;
		const stored = ledgerBody(deep, JSON.parse(deep));
		expect(stored.payload.length).toBeLessThan(deep.length * 2);
	});
	it("a NUL under a key repeated later (JSON.parse keeps the last; jsonb reads both) is copied", () => {
		const text = String.raw`{"note":"\u0000","note":"ok"}`;
		expect(ledgerBody(text, JSON.parse(text))).toEqual({ payload: '{"note":"ok"}', rawBody: text });
	});
	it("keeps numbers that numeric holds as they came, beyond a double's range too", () => {
		const text = '{"n":1e400,"m":123456789012345678901234567890}';
		expect(ledgerBody(text, JSON.parse(text))).toEqual({ payload: text, rawBody: null });
	});
	it(`cuts nesting deeper than ${MAX_STORED_DEPTH} levels`, () => {
		const text = `${"[".repeat(MAX_STORED_DEPTH + 5)}${"]".repeat(MAX_STORED_DEPTH + 5)}`;
		const stored = ledgerBody(text, JSON.parse(text));
		expect(stored.rawBody).toBe(text);
		expect(stored.payload).toContain(`${"[".repeat(MAX_STORED_DEPTH)}"…"${"]".repeat(MAX_STORED_DEPTH)}`);
	});
});

describe("reasons", () => {
	it("show a sender's key as [key] and never a value", () => {
		const schema = z.object({ metadata: z.record(z.string(), z.string()) });
		const result = schema.safeParse({ metadata: { "buyer@example.org": 5, "Ada Lovelace": [1] } });
		expect(result.success).toBe(false);
		const reason = describeIssues((result as { error: z.core.$ZodError }).error);
		expect(reason).toBe(
			"metadata.[key]: Invalid input: expected string, received number; metadata.[key]: Invalid input: expected string, received array",
		);
	});
	it("log messages lose what they quote", () => {
		expect(withoutQuotedValues('invalid input syntax for type integer: "ada@example.org"')).toBe(
			"invalid input syntax for type integer: …",
		);
		expect(withoutQuotedValues("Failed query: insert … params: ada@example.org,Ada")).toBe(
			"Failed query: insert … params: …",
		);
	});
});
