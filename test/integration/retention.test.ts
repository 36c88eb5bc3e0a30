/**
 * Retention (issue 11, item 4), through the Worker's own scheduled() handler (the cron sweep): the
 * payloads of `processed` and `ignored` events older than LEDGER_RETENTION_DAYS (default 30) are
 * erased to their skeleton (raw_body dropped, erased_at set), one `retention` log line says how many;
 * `failed`, `dead`, `unmatched` and `deferred` events keep theirs whatever their age, and so do
 * recent ones. The row stays: a redelivery of an erased event is still a duplicate.
 */
import { env } from "cloudflare:test";
import easypostDelivered from "@fixtures/payloads/easypost/tracker.updated.delivered.json";
import { describe, expect, it } from "vitest";
import { carrierRequest } from "../support/carriers";
import { uniqueId, userEvent } from "../support/clerk";
import { deliver } from "../support/deliver";
import { receivedAt } from "../support/ledger-window";
import { applyJob, consume, DEAD_LETTER_QUEUE, recordingQueue, runScheduled } from "../support/queue";
import { ledgerRows } from "../support/rows";
import { pendingOrder, stripeEvent, stripeRequest } from "../support/stripe";

const DAY = 86_400_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY);

async function row(provider: string, eventId: string) {
	const [found] = await ledgerRows(provider, eventId);
	if (!found) throw new Error(`no ledger row ${provider} ${eventId}`);
	return found;
}

/** Runs the cron sweep with a queue that records (the overdue rows of other tests stay out of the real one). */
const sweep = (settings: Record<string, string> = {}) =>
	runScheduled({ ...env, JOBS: recordingQueue(), ...settings } as Env);

const retentionLine = (swept: { logs: Record<string, unknown>[] }) => {
	const lines = swept.logs.filter((line) => line.message === "retention");
	expect(lines).toHaveLength(1);
	return lines[0] as Record<string, unknown>;
};

/** One event in every status, each received (and finished) `age` days ago. */
async function eventsInEveryStatus(age: number) {
	const at = daysAgo(age);
	const order = await pendingOrder();
	const processed = stripeEvent("payment_intent.succeeded");
	processed.data.object.id = order.stripePaymentIntentId;
	processed.data.object.metadata = { order_id: order.id, note: "Jane Doe, 1 Example Street" };
	const ignored = stripeEvent("payment_intent.succeeded", "product.created");
	ignored.data.object.description = "Jane Doe's gift";
	const unmatched = stripeEvent("payment_intent.succeeded");
	unmatched.data.object.id = uniqueId("pi_nowhere");
	unmatched.data.object.metadata = { order_id: uniqueId("order_nowhere") };
	const failed = stripeEvent("payment_intent.succeeded");
	failed.data.object.id = 42;
	const outcomes = [];
	for (const event of [processed, ignored, unmatched, failed])
		outcomes.push((await deliver(await stripeRequest(event))).body.outcome);
	expect(outcomes).toEqual(["applied", "ignored", "unmatched", "failed"]);
	const parcel = structuredClone(easypostDelivered) as typeof easypostDelivered;
	parcel.id = uniqueId("evt");
	parcel.result.tracking_code = uniqueId("TRK").toUpperCase();
	expect(
		(await deliver(await carrierRequest("easypost", parcel), { ...env, JOBS: recordingQueue() })).body.outcome,
	).toBe("deferred");
	const deadId = uniqueId("msg");
	await consume(DEAD_LETTER_QUEUE, [
		{ body: applyJob("clerk", userEvent("user.created", uniqueId("user"), Date.now()), { deliveryId: deadId }) },
	]);
	const keys = {
		processed: ["stripe", processed.id],
		ignored: ["stripe", ignored.id],
		unmatched: ["stripe", unmatched.id],
		failed: ["stripe", failed.id],
		deferred: ["easypost", parcel.id],
		dead: ["clerk", deadId],
	} as const;
	for (const [provider, eventId] of Object.values(keys)) await receivedAt(provider, eventId, at, at);
	return { keys, events: { processed, ignored } };
}

describe("the cron sweep's retention", () => {
	it("erases old processed and ignored payloads to their skeleton, keeps every other status", async () => {
		const { keys, events } = await eventsInEveryStatus(40);
		const before = {
			unmatched: await row(...keys.unmatched),
			failed: await row(...keys.failed),
			deferred: await row(...keys.deferred),
			dead: await row(...keys.dead),
		};

		const swept = await sweep();

		expect(retentionLine(swept)).toMatchObject({
			level: "info",
			outcome: "erased",
			erased: expect.any(Number),
			retention_days: 30,
		});
		expect(retentionLine(swept).erased).toBeGreaterThanOrEqual(2);
		const processed = await row(...keys.processed);
		expect(processed).toMatchObject({ status: "processed", rawBody: null, erasedAt: expect.any(Date) });
		expect(processed.payload).toEqual({
			id: events.processed.id,
			object: "event",
			type: "payment_intent.succeeded",
			api_version: "2025-03-31.basil",
			created: events.processed.created,
			livemode: false,
			data: {
				object: {
					id: events.processed.data.object.id,
					object: "payment_intent",
					amount: 4999,
					amount_received: 4999,
					currency: "usd",
					status: "succeeded",
					...(events.processed.data.object.customer ? { customer: events.processed.data.object.customer } : {}),
					created: events.processed.data.object.created,
					livemode: false,
				},
			},
		});
		expect(JSON.stringify(processed.payload)).not.toContain("Jane Doe");
		const ignored = await row(...keys.ignored);
		expect(ignored).toMatchObject({ status: "ignored", erasedAt: expect.any(Date) });
		expect(JSON.stringify(ignored.payload)).not.toContain("Jane Doe");
		// every other status keeps its payload, untouched
		for (const [status, kept] of Object.entries(before)) {
			const [provider, eventId] = keys[status as keyof typeof before];
			expect(await row(provider, eventId), status).toEqual(kept);
		}
		expect(swept.logText).not.toContain("Jane Doe");
	});

	it("keeps what is younger than the retention, and follows LEDGER_RETENTION_DAYS", async () => {
		const { keys } = await eventsInEveryStatus(10);
		await sweep();
		expect(await row(...keys.processed)).toMatchObject({ erasedAt: null });
		expect(await row(...keys.ignored)).toMatchObject({ erasedAt: null });

		const swept = await sweep({ LEDGER_RETENTION_DAYS: "7" });

		expect(retentionLine(swept)).toMatchObject({ outcome: "erased", retention_days: 7 });
		expect(await row(...keys.processed)).toMatchObject({ erasedAt: expect.any(Date) });
		expect(await row(...keys.ignored)).toMatchObject({ erasedAt: expect.any(Date) });
		expect(await row(...keys.failed)).toMatchObject({ erasedAt: null });
	});

	it("an event replayed recently (finished now) is kept, however old its receipt", async () => {
		const order = await pendingOrder();
		const event = stripeEvent("payment_intent.succeeded");
		event.data.object.id = order.stripePaymentIntentId;
		event.data.object.metadata = { order_id: order.id };
		await deliver(await stripeRequest(event));
		await receivedAt("stripe", event.id, daysAgo(90), new Date());
		await sweep();
		expect(await row("stripe", event.id)).toMatchObject({ erasedAt: null });
	});

	it("an erased event stays in the ledger: its redelivery is a duplicate", async () => {
		const { keys, events } = await eventsInEveryStatus(40);
		await sweep();
		const erased = await row(...keys.processed);
		expect(erased.erasedAt).toBeInstanceOf(Date);
		const again = await deliver(await stripeRequest(events.processed));
		expect(again.body).toEqual({ received: true, outcome: "duplicate" });
		expect(await row(...keys.processed)).toEqual(erased);
	});

	it.each(["0", "thirty", "-5"])("LEDGER_RETENTION_DAYS=%s: the default (30 days), with a warning", async (value) => {
		const swept = await sweep({ LEDGER_RETENTION_DAYS: value });
		expect(retentionLine(swept)).toMatchObject({
			level: "warn",
			retention_days: 30,
			reason: expect.stringContaining("LEDGER_RETENTION_DAYS"),
		});
	});
});
