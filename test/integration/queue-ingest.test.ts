/**
 * The database down at ingest (issue 9, item 2): a verified event is put on the jobs queue and
 * answered 202 `queued`, for Clerk and Stripe alike; the consumer applies it once the database is
 * back, exactly as if it had just arrived. 503 only when the job cannot be queued either (too large
 * for a message, the send failing, no queue bound).
 */
import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { orders } from "../../src/db/schema";
import { job as jobSchema } from "../../src/queue/jobs";
import { clerkRequest, uniqueId, userEvent } from "../support/clerk";
import { deliver, webhookLine } from "../support/deliver";
import { consume, JOBS_QUEUE, recordingQueue, webhookLines } from "../support/queue";
import { refuseUserWrites } from "../support/refuse";
import { testDb, userRow } from "../support/rows";
import { pendingOrder, stripeEvent, stripeRequest } from "../support/stripe";
import { unreachableDatabaseUrl } from "../support/unreachable";
import { ledgerRecord } from "../support/written";

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);

/** The bindings of a Worker whose database is unreachable, with a JOBS queue that records what it gets. */
function databaseDown(options: { fail?: boolean } = {}) {
	const jobs = recordingQueue(options);
	return { jobs, bindings: { ...env, DATABASE_URL: unreachableDatabaseUrl, JOBS: jobs } };
}

async function orderStatus(id: string) {
	const [row] = await testDb().select({ status: orders.status }).from(orders).where(eq(orders.id, id));
	return row?.status;
}

describe("the database down at ingest", () => {
	it("Clerk: 202 queued, one job on JOBS, nothing written; the consumer applies it once the database is back", async () => {
		const { jobs, bindings } = databaseDown();
		const userId = uniqueId("user");
		const svixId = uniqueId("msg");
		const delivered = await deliver(clerkRequest(userEvent("user.created", userId, T0), { id: svixId }), bindings);

		expect(delivered.status).toBe(202);
		expect(delivered.body).toEqual({ received: true, outcome: "queued" });
		expect(webhookLine(delivered)).toMatchObject({
			level: "warn",
			provider: "clerk",
			event_id: svixId,
			outcome: "queued",
			status: 202,
			reason: "database_unavailable",
			error: expect.stringContaining("Error connecting to database"),
		});
		expect(jobs.sent).toHaveLength(1);
		const [queued] = jobs.sent;
		expect(jobSchema.safeParse(queued).success).toBe(true);
		expect(queued).toMatchObject({ kind: "apply", provider: "clerk", deliveryId: svixId });
		expect(await ledgerRecord("clerk", svixId)).toEqual([]);
		expect(await userRow(userId)).toBeUndefined();

		const consumed = await consume(JOBS_QUEUE, [{ body: queued }]);
		expect(consumed.value).toMatchObject({ explicitAcks: consumed.ids, retryMessages: [], ackAll: false });
		expect(await ledgerRecord("clerk", svixId)).toMatchObject([{ status: "processed", attempts: 1 }]);
		expect((await userRow(userId))?.id).toBe(userId);
		const [line, ...others] = webhookLines(consumed);
		expect(others).toEqual([]);
		expect(line).toMatchObject({
			level: "info",
			provider: "clerk",
			event_type: "user.created",
			event_id: svixId,
			outcome: "applied",
			via: "queue",
			queue_attempt: 1,
			request_id: (queued as { requestId: string }).requestId,
		});
		expect(line).not.toHaveProperty("status");
		expect(line?.queued_ms).toBeGreaterThanOrEqual(0);
		expect(line?.duration_ms).toBeGreaterThanOrEqual(0);
	});

	it("Stripe: 202 queued; the job pays the order once the database is back", async () => {
		const { jobs, bindings } = databaseDown();
		const order = await pendingOrder();
		const event = stripeEvent("payment_intent.succeeded");
		event.data.object.id = order.stripePaymentIntentId;
		event.data.object.metadata = { order_id: order.id };
		const delivered = await deliver(await stripeRequest(event), bindings);
		expect(delivered.status).toBe(202);
		expect(delivered.body).toEqual({ received: true, outcome: "queued" });
		// the queued line names the event (Stripe's id is in the body, not a header)
		expect(webhookLine(delivered)).toMatchObject({
			level: "warn",
			event_type: "payment_intent.succeeded",
			event_id: event.id,
			outcome: "queued",
			status: 202,
		});
		expect(await orderStatus(order.id)).toBe("pending");

		const consumed = await consume(
			JOBS_QUEUE,
			jobs.sent.map((body) => ({ body })),
		);
		expect(consumed.value.explicitAcks).toEqual(consumed.ids);
		expect(await orderStatus(order.id)).toBe("paid");
		expect(await ledgerRecord("stripe", event.id)).toMatchObject([{ status: "processed", attempts: 1 }]);
		expect(webhookLines(consumed)).toMatchObject([{ event_id: event.id, outcome: "applied", via: "queue" }]);
	});

	it("a transient refusal (40001) is queued too, and the job applies the event whole once it passes", async () => {
		const userId = uniqueId("user");
		const stopRefusing = await refuseUserWrites("queue_transient", userId, "40001");
		const jobs = recordingQueue();
		const svixId = uniqueId("msg");
		try {
			const delivered = await deliver(clerkRequest(userEvent("user.created", userId, T0), { id: svixId }), {
				...env,
				JOBS: jobs,
			});
			expect(delivered.status).toBe(202);
			expect(webhookLine(delivered)).toMatchObject({ outcome: "queued", error_code: "40001" });
			expect(await ledgerRecord("clerk", svixId)).toEqual([]);

			const refused = await consume(
				JOBS_QUEUE,
				jobs.sent.map((body) => ({ body })),
			);
			expect(refused.value.explicitAcks).toEqual([]);
			expect(refused.value.retryMessages).toMatchObject([{ msgId: refused.ids[0] }]);
		} finally {
			await stopRefusing();
		}
		const applied = await consume(
			JOBS_QUEUE,
			jobs.sent.map((body) => ({ body, attempts: 2 })),
		);
		expect(applied.value.explicitAcks).toEqual(applied.ids);
		expect(await ledgerRecord("clerk", svixId)).toMatchObject([{ status: "processed", attempts: 1 }]);
		expect((await userRow(userId))?.id).toBe(userId);
	});
});

describe("503 when the event cannot be queued either", () => {
	it("a job over the queue's message size (128 KB) → 503, nothing sent", async () => {
		const { jobs, bindings } = databaseDown();
		const event = userEvent("user.created", uniqueId("user"), T0);
		event.data.public_metadata = { plan: "x".repeat(130_000) }; // under the 1 MiB body limit
		const delivered = await deliver(clerkRequest(event), bindings);
		expect(delivered.status).toBe(503);
		expect(delivered.body).toMatchObject({ error: "database_unavailable" });
		expect(webhookLine(delivered)).toMatchObject({
			level: "error",
			outcome: "rejected",
			reason: "database_unavailable",
			queue: "too_large",
		});
		expect(jobs.sent).toEqual([]);
	});

	it("a job just under the size limit is queued", async () => {
		const { jobs, bindings } = databaseDown();
		const event = userEvent("user.created", uniqueId("user"), T0);
		event.data.public_metadata = { plan: "x".repeat(120_000) };
		const delivered = await deliver(clerkRequest(event), bindings);
		expect(delivered.status).toBe(202);
		expect(jobs.sent).toHaveLength(1);
	});

	it("the queue refusing the message → 503", async () => {
		const { bindings } = databaseDown({ fail: true });
		const delivered = await deliver(clerkRequest(userEvent("user.created", uniqueId("user"), T0)), bindings);
		expect(delivered.status).toBe(503);
		expect(webhookLine(delivered)).toMatchObject({ reason: "database_unavailable", queue: "send_failed" });
	});
});
