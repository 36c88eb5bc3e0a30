/** The send CLI's `--set path=value` (tools/send/set-path.ts). */
import { describe, expect, it } from "vitest";
import { parseAssignment, setPath } from "../../tools/send/set-path";

describe("parseAssignment", () => {
	it.each([
		["data.first_name=Ada", ["data", "first_name"], "Ada"],
		["data.age=42", ["data", "age"], 42],
		["data.deleted=true", ["data", "deleted"], true],
		["data.username=null", ["data", "username"], null],
		['data.public_metadata={"plan":"pro"}', ["data", "public_metadata"], { plan: "pro" }],
		["data.note=a=b", ["data", "note"], "a=b"],
	])("%s", (assignment, path, value) => {
		expect(parseAssignment(assignment)).toEqual([path, value]);
	});

	it("refuses an assignment without a path", () => {
		expect(() => parseAssignment("=x")).toThrow(/path=value/);
	});
});

describe("setPath", () => {
	it("sets nested values, creating objects and arrays on the way", () => {
		const payload: Record<string, unknown> = { data: { id: "user_1" } };
		setPath(payload, ["data", "id"], "user_2");
		setPath(payload, ["data", "email_addresses", "0", "email_address"], "ada@example.com");
		expect(payload).toEqual({ data: { id: "user_2", email_addresses: [{ email_address: "ada@example.com" }] } });
	});
});
