/**
 * The admin API's pure parts: each provider's event time read from its stored payload
 * (src/admin/event-time.ts), percentiles as Postgres' percentile_cont computes them, the list's cursor
 * (nothing but one of ours reads as a position) and the filter read from a query string
 * (src/admin/event-query.ts).
 */
import aftershipDelivered from "@fixtures/payloads/aftership/tracking_update.Delivered.json";
import clerkCreated from "@fixtures/payloads/clerk/user.created.json";
import easypostDelivered from "@fixtures/payloads/easypost/tracker.updated.delivered.json";
import mailgunOpened from "@fixtures/payloads/mailgun/opened.json";
import postmarkBounce from "@fixtures/payloads/postmark/Bounce.json";
import postmarkDelivery from "@fixtures/payloads/postmark/Delivery.json";
import postmarkOpen from "@fixtures/payloads/postmark/Open.json";
import resendDelivered from "@fixtures/payloads/resend/email.delivered.json";
import sendgridBatch from "@fixtures/payloads/sendgrid/delivered.json";
import shippoDelivered from "@fixtures/payloads/shippo/track_updated.DELIVERED.json";
import stripeSucceeded from "@fixtures/payloads/stripe/payment_intent.succeeded.json";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
	queryValuesOf,
	readEventListQuery,
	readFilter,
	readInstant,
	withStatusesAmong,
} from "../../src/admin/event-query";
import { eventTimeFields, eventTimeMs } from "../../src/admin/event-time";
import { decodeCursor, percentilesOf } from "../../src/admin/ledger-queries";
import { providers } from "../../src/providers";

/** What `eventTimeColumn` extracts in SQL (the field at the provider's path), done here in JS. */
function fieldText(provider: string, payload: unknown): string | null {
	if (provider === "postmark") {
		const record = payload as Record<string, unknown>;
		const found = ["DeliveredAt", "BouncedAt", "ReceivedAt", "ChangedAt"].map((k) => record[k]).find((v) => v != null);
		return found === undefined ? null : String(found);
	}
	let value: unknown = payload;
	for (const part of eventTimeFields[provider]?.path ?? []) value = (value as Record<string, unknown> | null)?.[part];
	return value === undefined || value === null ? null : String(value);
}

describe("each provider's event time, from its example payload", () => {
	it("every provider of the registry has one", () => {
		expect(Object.keys(eventTimeFields).sort()).toEqual(providers.map((p) => p.name).sort());
	});

	it.each([
		["stripe", stripeSucceeded, Date.UTC(2025, 4, 15, 9, 6, 40)],
		["clerk", clerkCreated, clerkCreated.timestamp],
		["resend", resendDelivered, Date.parse("2024-02-22T23:41:12.126Z")],
		["sendgrid", sendgridBatch[0], 1_513_299_569_000],
		["mailgun", mailgunOpened, 1_521_243_339_874],
		["postmark", postmarkDelivery, Date.parse("2019-11-05T16:33:54.907Z")],
		["postmark", postmarkBounce, Date.parse("2019-11-05T16:33:54.907Z")],
		["postmark", postmarkOpen, Date.parse("2019-11-05T16:33:54.907Z")],
		["easypost", easypostDelivered, Date.parse("2024-08-05T18:02:11.000Z")],
		["aftership", aftershipDelivered, 1_722_879_480_000],
		["shippo", shippoDelivered, Date.parse("2024-08-05T18:01:22.137Z")],
	])("%s", (provider, payload, expected) => {
		expect(eventTimeMs(provider, fieldText(provider, payload))).toBe(expected);
	});

	it.each([
		["stripe", "not a number"],
		["stripe", "-5"],
		["stripe", "1e12"],
		["stripe", "99999999999999999"],
		["resend", "2024-02-30"],
		["resend", "yesterday"],
		["resend", "2024-02-22T23:41:12"], // no zone: not an instant
		["clerk", null],
		["nobody", "1700000000"],
	])("%s %j: left out (undefined)", (provider, text) => {
		expect(eventTimeMs(provider, text)).toBeUndefined();
	});

	it("never throws, whatever the text", () => {
		fc.assert(
			fc.property(fc.constantFrom(...Object.keys(eventTimeFields)), fc.string(), (provider, text) => {
				const ms = eventTimeMs(provider, text);
				return ms === undefined || (Number.isInteger(ms) && ms >= 0);
			}),
		);
	});
});

describe("percentilesOf", () => {
	it("interpolates between the closest ranks, as percentile_cont", () => {
		expect(percentilesOf([0, 0, 0, 3_600_000])).toEqual({ count: 4, p50: 0, p95: 3_060_000, p99: 3_492_000 });
		expect(percentilesOf([600, 60, 300, 120])).toEqual({ count: 4, p50: 210, p95: 555, p99: 591 });
		expect(percentilesOf([7])).toEqual({ count: 1, p50: 7, p95: 7, p99: 7 });
		expect(percentilesOf([])).toEqual({ count: 0, p50: null, p95: null, p99: null });
	});
});

describe("the list's cursor", () => {
	const encode = (text: string) => btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");

	it("reads one of ours", () => {
		expect(decodeCursor(encode("2026-11-30T04:05:06.123456Z|42"))).toEqual({
			receivedAt: "2026-11-30T04:05:06.123456Z",
			id: 42,
		});
	});

	it.each([
		"",
		"%%%",
		encode("2026-11-30T04:05:06.123456Z"),
		encode("2026-11-30T04:05:06Z|42"),
		encode("2026-02-30T04:05:06.123456Z|42"),
		encode("2026-11-30T25:05:06.123456Z|42"),
		encode("2026-11-30T04:05:06.123456Z|-1"),
		encode("2026-11-30T04:05:06.123456Z|42'; drop table orders; --"),
	])("refuses %j", (text) => {
		expect(decodeCursor(text)).toBeUndefined();
	});

	it("never throws", () => {
		fc.assert(fc.property(fc.string(), (text) => decodeCursor(text) === undefined || true));
	});
});

describe("the filter of a query string", () => {
	it("reads every field; empty ones filter nothing", () => {
		expect(
			readFilter({
				provider: "stripe",
				type: "",
				status: "failed, dead,failed",
				since: "2026-05-01",
				until: "1790000000",
			}),
		).toEqual({
			ok: true,
			value: {
				provider: "stripe",
				status: ["failed", "dead"],
				since: new Date("2026-05-01T00:00:00Z"),
				until: new Date(1_790_000_000_000),
			},
		});
	});

	it.each([
		[{ status: "failed,lost" }, "status"],
		[{ status: "," }, "status"],
		[{ since: "last week" }, "since"],
		[{ until: "2026-13-01" }, "until"],
		[{ until: "99999999999999" }, "until"],
		[{ type: "a\u0000b" }, "type"],
		[{ provider: "\udc00" }, "provider"],
	])("refuses %j, naming the field", (values, field) => {
		expect(readFilter(values)).toMatchObject({ ok: false, field });
	});

	it("a list query's limit and cursor", () => {
		expect(readEventListQuery({})).toEqual({ ok: true, value: { filter: {}, cursor: undefined, limit: 50 } });
		expect(readEventListQuery({ limit: "201" })).toMatchObject({ ok: false, field: "limit" });
		expect(readEventListQuery({ cursor: "nope" })).toMatchObject({ ok: false, field: "cursor" });
	});

	it("an instant: ISO 8601 with or without a time, or unix seconds", () => {
		expect(readInstant("at", "2026-05-01T10:00:00+02:00")).toEqual({
			ok: true,
			value: new Date("2026-05-01T08:00:00Z"),
		});
		expect(readInstant("at", "0")).toEqual({ ok: true, value: new Date(0) });
		// without a zone: UTC (a datetime-local field's value)
		expect(readInstant("at", "2026-11-02T14:03")).toEqual({ ok: true, value: new Date("2026-11-02T14:03:00Z") });
		expect(readInstant("at", "2028-02-29T23:59:59.999-0130")).toEqual({
			ok: true,
			value: new Date("2028-03-01T01:29:59.999Z"),
		});
		expect(readInstant("at", "9999-12-31T23:59:59.999Z")).toMatchObject({ ok: true });
		expect(readInstant("at", "253402300799")).toMatchObject({ ok: true });
	});

	it.each([
		"2026-02-30",
		"2026-02-29T00:00:00Z",
		"2026-04-31",
		"2026-00-10",
		"2026-05-01T24:00:00Z",
		"2026-05-01T23:60",
		"2026-05-01T23:59:60Z",
		"2026-05-01T10:00:00+24:00",
		"2026-05-01T10:00:00+02:60",
		"1969-12-31T23:59:59Z",
		"1970-01-01T00:30:00+01:00",
		"0099-01-01",
		"+033658-09-27T01:46:39Z",
		"10000-01-01",
		"999999999999",
		"253402300800",
		"-1",
		"1.5",
		"2026-05-01Z",
		"",
	])("an instant that does not exist, or that a timestamptz and a Date cannot both hold, is refused: %j", (text) => {
		expect(readInstant("at", text)).toMatchObject({ ok: false, field: "at" });
	});
});

describe("a query string's parameters", () => {
	const params = (text: string) => new URLSearchParams(text);
	const allowed = ["provider", "status", "since"];

	it("merges every status, takes the others once, and counts empty values as not given", () => {
		expect(queryValuesOf(params("status=failed&status=dead,unmatched&provider=stripe&since="), allowed)).toEqual({
			ok: true,
			value: { status: "failed,dead,unmatched", provider: "stripe" },
		});
		expect(queryValuesOf(params("status=&status=%20"), allowed)).toEqual({ ok: true, value: {} });
	});

	it.each([
		["stauts=failed", "stauts"],
		["provider=stripe&provider=clerk", "provider"],
		[`${"x".repeat(100)}=1`, `${"x".repeat(60)}…`],
	])("refuses %s, naming the parameter", (text, field) => {
		expect(queryValuesOf(params(text), allowed)).toMatchObject({ ok: false, field });
	});

	it("a view's statuses: its own only, its defaults when none is named", () => {
		expect(withStatusesAmong({ provider: "stripe" }, ["failed", "dead"], ["failed"], "why")).toEqual({
			ok: true,
			value: { provider: "stripe", status: ["failed"] },
		});
		expect(withStatusesAmong({ status: ["processed"] }, ["failed", "dead"], ["failed"], "why")).toMatchObject({
			ok: false,
			field: "status",
			message: "one or more of failed, dead (why)",
		});
	});
});
