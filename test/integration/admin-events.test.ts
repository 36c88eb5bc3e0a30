/**
 * GET /api/admin/events and /api/admin/events/:id (issue 11): the ledger filtered by provider, type,
 * status and time range, newest first (received_at, then id), paged by an opaque cursor that loses
 * nothing and repeats nothing, even among events received in the same microsecond; one event with its
 * stored payload, attempts and last error, an erased one as its skeleton. A filter is read exactly:
 * repeated statuses merged, an empty parameter not given, and a value it cannot read (an unknown
 * parameter or status, text Postgres cannot hold, a date that does not exist or that a timestamptz
 * and a Date cannot both hold) refused 400 before any query, never a 500 nor a wider list. The events
 * are moved into an hour of their own in the past, so that the filters find them alone.
 */
import { describe, expect, it } from "vitest";
import { admin, bodyOf } from "../support/admin";
import { clerkRequest, uniqueId, userDeletedEvent, userEvent } from "../support/clerk";
import { deliver } from "../support/deliver";
import { hourOfItsOwn, receivedAt } from "../support/ledger-window";
import { ledgerRows } from "../support/rows";
import { pendingOrder, type StripeTestEvent, stripeEvent, stripeRequest } from "../support/stripe";

const MIN = 60_000;

interface Listed {
	id: number;
	provider: string;
	event_id: string;
	event_type: string;
	status: string;
}

/** Six events in an hour of their own: three Stripe (applied, unmatched, failed), three Clerk; two share a time. */
async function sixEvents() {
	const H = hourOfItsOwn();
	const at = (minutes: number) => new Date(H.getTime() + minutes * MIN);
	const order = await pendingOrder();
	const applied = stripeEvent("payment_intent.succeeded");
	applied.data.object.id = order.stripePaymentIntentId;
	applied.data.object.metadata = { order_id: order.id };
	const unmatched = stripeEvent("payment_intent.succeeded");
	unmatched.data.object.metadata = { order_id: uniqueId("order_nowhere") };
	unmatched.data.object.id = uniqueId("pi_nowhere");
	const failed: StripeTestEvent = stripeEvent("payment_intent.payment_failed");
	failed.data.object.id = 42;
	for (const event of [applied, unmatched, failed]) await deliver(await stripeRequest(event));
	const clerkIds = [uniqueId("msg"), uniqueId("msg"), uniqueId("msg")];
	for (const svixId of clerkIds)
		await deliver(clerkRequest(userEvent("user.created", uniqueId("user"), Date.now()), { id: svixId }));
	await receivedAt("stripe", applied.id, at(1));
	await receivedAt("stripe", unmatched.id, at(2));
	await receivedAt("stripe", failed.id, at(3));
	await receivedAt("clerk", clerkIds[0] as string, at(4));
	// the same received_at: the ledger id orders them
	await receivedAt("clerk", clerkIds[1] as string, at(5));
	await receivedAt("clerk", clerkIds[2] as string, at(5));
	const window = `since=${H.toISOString()}&until=${at(60).toISOString()}`;
	return { window, applied, unmatched, failed, clerkIds };
}

const keys = (answer: { body: unknown }) => (bodyOf(answer as never).events as Listed[]).map((e) => e.event_id);

describe("GET /api/admin/events", () => {
	it("lists a time range newest first, and filters by provider, status (several) and type", async () => {
		const { window, applied, unmatched, failed, clerkIds } = await sixEvents();
		const [c0, c1, c2] = clerkIds;
		const all = await admin(`/events?${window}`);
		expect(all.status).toBe(200);
		// same time: the greater id (recorded later) first
		expect(keys(all)).toEqual([c2, c1, c0, failed.id, unmatched.id, applied.id]);
		expect(bodyOf(all).next_cursor).toBeNull();
		expect(bodyOf(all).events[3]).toMatchObject({
			provider: "stripe",
			event_id: failed.id,
			event_type: "payment_intent.payment_failed",
			status: "failed",
			attempts: 1,
			last_error: expect.stringContaining("expected string"),
			erased_at: null,
		});
		expect(bodyOf(all).events[3]).not.toHaveProperty("payload");

		expect(keys(await admin(`/events?${window}&provider=clerk`))).toEqual([c2, c1, c0]);
		expect(keys(await admin(`/events?${window}&status=failed,unmatched`))).toEqual([failed.id, unmatched.id]);
		expect(keys(await admin(`/events?${window}&provider=stripe&status=processed`))).toEqual([applied.id]);
		expect(keys(await admin(`/events?${window}&type=payment_intent.payment_failed`))).toEqual([failed.id]);
		expect(keys(await admin(`/events?${window}&provider=stripe&type=user.created`))).toEqual([]);
		// repeated statuses are merged, as the dashboard's checkboxes send them; empty parameters filter nothing
		expect(keys(await admin(`/events?${window}&status=failed&status=unmatched`))).toEqual([failed.id, unmatched.id]);
		expect(keys(await admin(`/events?${window}&status=&provider=`))).toEqual(keys(all));
		// a provider this Worker does not serve is a value like another: it matches nothing
		expect(keys(await admin(`/events?${window}&provider=paypal`))).toEqual([]);
	});

	it("pages with the cursor: every event once, in order, whatever the page size", async () => {
		const { window } = await sixEvents();
		const everything = keys(await admin(`/events?${window}`));
		for (const limit of [1, 2, 4]) {
			const seen: string[] = [];
			let cursor: string | null = null;
			let pages = 0;
			do {
				const page = await admin(`/events?${window}&limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`);
				expect(page.status).toBe(200);
				seen.push(...keys(page));
				cursor = bodyOf(page).next_cursor;
				pages += 1;
			} while (cursor !== null && pages < 10);
			expect(seen).toEqual(everything);
			expect(pages).toBe(Math.ceil(6 / limit));
		}
	});

	it.each([
		["status=lost", "status"],
		["since=last%20week", "since"],
		["until=2024-13-45", "until"],
		["limit=0", "limit"],
		["limit=201", "limit"],
		["cursor=not-a-cursor", "cursor"],
		["status=processed,lost", "status"],
		["status=failed&status=lost", "status"],
		["stauts=failed", "stauts"],
		["provider=stripe&provider=clerk", "provider"],
		["type=%00", "type"],
		["provider=a%00b", "provider"],
		["since=999999999999", "since"],
		["since=2026-02-30", "since"],
		["since=2026-02-29T10:00:00Z", "since"],
		["until=2026-05-01T24:00:00Z", "until"],
		["until=2026-05-01T10:60", "until"],
		["until=2026-05-01T10:00:00%2B24:00", "until"],
		["since=1969-12-31T23:59:59Z", "since"],
		["since=%2B033658-09-27T01:46:39Z", "since"],
		[`cursor=${btoa("2024-02-30T00:00:00.000000Z|1").replace(/=+$/, "")}`, "cursor"],
	])("refuses ?%s (400, the field named)", async (query, field) => {
		const answer = await admin(`/events?${query}`);
		expect(answer.status).toBe(400);
		expect(answer.body).toMatchObject({ error: "invalid_request", field });
		expect(answer.databaseRequests).toEqual([]);
	});
});

describe("GET /api/admin/events/:id", () => {
	it("shows the stored payload, attempts and last error", async () => {
		const event = stripeEvent("payment_intent.payment_failed");
		event.data.object.id = 42;
		await deliver(await stripeRequest(event));
		await deliver(await stripeRequest(event));
		const [row] = await ledgerRows("stripe", event.id);

		const answer = await admin(`/events/${row?.id}`);

		expect(answer.status).toBe(200);
		expect(bodyOf(answer).event).toMatchObject({
			id: row?.id,
			provider: "stripe",
			event_id: event.id,
			status: "failed",
			attempts: 2,
			last_error: expect.stringContaining("expected string"),
			payload: event,
			raw_body: null,
			erased_at: null,
		});
	});

	it("an erased event shows its skeleton: ids, types, times and statuses, no personal data", async () => {
		const userId = uniqueId("user");
		const svixId = uniqueId("msg");
		await deliver(clerkRequest(userEvent("user.created", userId, Date.now()), { id: svixId }));
		await deliver(clerkRequest(userDeletedEvent(userId, Date.now() + 1000)));
		const [row] = await ledgerRows("clerk", svixId);
		expect(row?.erasedAt).toBeInstanceOf(Date);

		const answer = await admin(`/events/${row?.id}`);

		const shown = bodyOf(answer).event;
		expect(shown).toMatchObject({ event_type: "user.created", erased_at: expect.any(String), raw_body: null });
		expect(shown.payload).toMatchObject({ type: "user.created", data: { id: userId } });
		expect(answer.logText + JSON.stringify(answer.body)).not.toContain("jane.doe@example.com");
		expect(JSON.stringify(shown.payload)).not.toMatch(/jane|doe|email_addresses/i);
	});

	it("an id no event has: 404; one that is not an id: 400", async () => {
		expect((await admin("/events/999999999999")).status).toBe(404);
		expect((await admin("/events/0")).status).toBe(400);
		expect((await admin("/events/1e3")).status).toBe(400);
	});
});
