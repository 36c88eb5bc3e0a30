/**
 * The jobs consumer (issue 9, item 3) through the Worker's real queue() handler: every job of a batch
 * applied in one database request through the same code as a live delivery; each message acked on
 * success or on a permanent outcome, retried with backoff (never acked) while the database is down;
 * a job and a sender's redelivery of the same event never both apply.
 */
import { createExecutionContext, createMessageBatch, env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import type { Job } from "../../src/queue/jobs";
import { clerkRequest, uniqueId, userEvent } from "../support/clerk";
import { deliver } from "../support/deliver";
import { applyJob, consume, JOBS_QUEUE, observe, runQueue, webhookLines } from "../support/queue";
import { refuseUserWrites } from "../support/refuse";
import { userRow } from "../support/rows";
import { pendingOrder, stripeEvent } from "../support/stripe";
import { unreachableDatabaseUrl } from "../support/unreachable";
import { ledgerRecord } from "../support/written";

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const unreachable = () => ({ ...env, DATABASE_URL: unreachableDatabaseUrl });

/** A Clerk user.created job for a fresh user: its svix-id is the ledger key. */
function clerkJob(
	userId = uniqueId("user"),
	svixId = uniqueId("msg"),
	extra: Partial<Parameters<typeof applyJob>[2]> = {},
) {
	return {
		userId,
		svixId,
		job: applyJob("clerk", userEvent("user.created", userId, T0), { deliveryId: svixId, ...extra }),
	};
}

afterEach(() => vi.restoreAllMocks());

describe("while the database is down", () => {
	it("retries every job with a delay that grows with its attempts, acks none, writes nothing", async () => {
		vi.spyOn(Math, "random").mockReturnValue(0.999_999); // the delay's ceiling
		const jobs = [clerkJob(), clerkJob(), clerkJob()];
		const consumed = await consume(
			JOBS_QUEUE,
			jobs.map(({ job }, i) => ({ body: job, attempts: [1, 5, 30][i] })),
			unreachable(),
		);
		expect(consumed.value.explicitAcks).toEqual([]);
		expect(consumed.value.ackAll).toBe(false);
		expect(consumed.value.retryBatch.retry).toBe(false);
		expect(consumed.value.retryMessages).toEqual(consumed.ids.map((msgId) => ({ msgId })));
		expect(consumed.retried).toEqual([
			{ msgId: consumed.ids[0], delaySeconds: 15 },
			{ msgId: consumed.ids[1], delaySeconds: 240 },
			{ msgId: consumed.ids[2], delaySeconds: 1800 },
		]);
		for (const { svixId } of jobs) expect(await ledgerRecord("clerk", svixId)).toEqual([]);
		expect(webhookLines(consumed)).toMatchObject(
			jobs.map(({ svixId }, i) => ({
				level: "warn",
				provider: "clerk",
				event_id: svixId,
				outcome: "retry",
				reason: "database_unavailable",
				via: "queue",
				queue_attempt: [1, 5, 30][i],
				delay_seconds: [15, 240, 1800][i],
				error: expect.stringContaining("Error connecting to database"),
			})),
		);
	});

	it("with random jitter: a delay in [1, ceiling], never 0", async () => {
		const consumed = await consume(JOBS_QUEUE, [{ body: clerkJob().job, attempts: 3 }], unreachable());
		const [retry] = consumed.retried;
		expect(retry?.delaySeconds).toBeGreaterThanOrEqual(1);
		expect(retry?.delaySeconds).toBeLessThanOrEqual(60);
	});

	it("the last attempt (31st) is retried too, into the dead-letter queue, and says so", async () => {
		const { job } = clerkJob();
		const consumed = await consume(JOBS_QUEUE, [{ body: job, attempts: 31 }], unreachable());
		expect(consumed.value.explicitAcks).toEqual([]);
		expect(consumed.value.retryMessages).toHaveLength(1);
		expect(webhookLines(consumed)).toMatchObject([{ outcome: "dead_letter", reason: "database_unavailable" }]);
	});
});

describe("messages that can never be applied are acked", () => {
	const unreadable: [string, unknown, string][] = [
		["a string", "apply this", "invalid_job"],
		["null", null, "invalid_job"],
		["an unknown kind", { kind: "retry-later", provider: "clerk" }, "invalid_job"],
		[
			"an apply job without its body",
			{ kind: "apply", provider: "clerk", receivedAt: 1, requestId: "r" },
			"invalid_job",
		],
		["an unknown provider", applyJob("carrier-pigeon", {}), "unknown_provider"],
		["a body that is not JSON", applyJob("clerk", "{not json"), "malformed_json"],
	];

	it.each(unreadable)("%s: acked, one error line, no database request", async (_, body, reason) => {
		const consumed = await consume(JOBS_QUEUE, [{ body }]);
		expect(consumed.value).toMatchObject({ explicitAcks: consumed.ids, retryMessages: [] });
		expect(consumed.databaseRequests).toEqual([]);
		expect(consumed.logs).toMatchObject([
			{ level: "error", message: "job", queue: JOBS_QUEUE, outcome: "dropped", reason, message_id: consumed.ids[0] },
		]);
	});

	it("the error line names the provider only when it looks like a name, never quotes the body", async () => {
		const consumed = await consume(JOBS_QUEUE, [{ body: applyJob("buyer@example.org", '{"email":"a@b.c"}') }]);
		expect(consumed.logs[0]).toMatchObject({ reason: "unknown_provider", provider: null });
		expect(JSON.stringify(consumed.logs)).not.toContain("@");
	});

	it("an event that fails deterministically is recorded failed and acked; the batch's other jobs apply", async () => {
		const doomed = uniqueId("user_doomed");
		const stopRefusing = await refuseUserWrites("queue_doomed", doomed, "P0001");
		try {
			const fine = clerkJob();
			const bad = clerkJob(doomed);
			const consumed = await consume(JOBS_QUEUE, [{ body: fine.job }, { body: bad.job }]);
			expect(consumed.value).toMatchObject({ explicitAcks: consumed.ids, retryMessages: [] });
			expect(await ledgerRecord("clerk", fine.svixId)).toMatchObject([{ status: "processed" }]);
			expect(await ledgerRecord("clerk", bad.svixId)).toMatchObject([
				{ status: "failed", lastError: expect.stringContaining("P0001") },
			]);
			expect(webhookLines(consumed)).toMatchObject([
				{ event_id: fine.svixId, outcome: "applied", via: "queue" },
				{ event_id: bad.svixId, outcome: "failed", level: "error", via: "queue" },
			]);
		} finally {
			await stopRefusing();
		}
	});
});

describe("one database request per batch", () => {
	it("several jobs (Clerk and Stripe, and an unreadable one) are applied in one request, each acked", async () => {
		const clerk = [clerkJob(), clerkJob(), clerkJob()];
		const order = await pendingOrder();
		const paid = stripeEvent("payment_intent.succeeded");
		paid.data.object.id = order.stripePaymentIntentId;
		paid.data.object.metadata = { order_id: order.id };
		const unknown = stripeEvent("payment_intent.succeeded");
		unknown.data.object.id = uniqueId("pi_nowhere");
		unknown.data.object.metadata = { order_id: uniqueId("order_nowhere") };
		const consumed = await consume(JOBS_QUEUE, [
			...clerk.map(({ job }) => ({ body: job })),
			{ body: applyJob("stripe", paid) },
			{ body: { kind: "apply" } },
			{ body: applyJob("stripe", unknown) },
		]);
		expect(consumed.databaseRequests).toHaveLength(1);
		expect(consumed.value.explicitAcks).toEqual(consumed.ids);
		expect(consumed.value.retryMessages).toEqual([]);
		for (const { userId } of clerk) expect((await userRow(userId))?.id).toBe(userId);
		expect(await ledgerRecord("stripe", paid.id)).toMatchObject([{ status: "processed" }]);
		expect(await ledgerRecord("stripe", unknown.id)).toMatchObject([{ status: "unmatched" }]);
		expect(webhookLines(consumed).map((l) => [l.event_id, l.outcome])).toEqual([
			...clerk.map(({ svixId }) => [svixId, "applied"]),
			[paid.id, "applied"],
			[unknown.id, "unmatched"],
		]);
	});

	it("the same job delivered twice in one batch (at-least-once) applies once: one applied, one duplicate, both acked", async () => {
		const { job, svixId } = clerkJob();
		const consumed = await consume(JOBS_QUEUE, [{ body: job }, { body: job }]);
		expect(consumed.databaseRequests).toHaveLength(1);
		expect(consumed.value.explicitAcks).toEqual(consumed.ids);
		expect(webhookLines(consumed).map((l) => l.outcome)).toEqual(["applied", "duplicate"]);
		expect(await ledgerRecord("clerk", svixId)).toMatchObject([{ status: "processed", attempts: 1 }]);
	});
});

describe("a job and a sender's redelivery of the same event never both apply", () => {
	it("the redelivery first: the job is a duplicate, acked", async () => {
		const userId = uniqueId("user");
		const svixId = uniqueId("msg");
		const event = userEvent("user.created", userId, T0);
		expect((await deliver(clerkRequest(event, { id: svixId }))).body).toEqual({ received: true, outcome: "applied" });
		const consumed = await consume(JOBS_QUEUE, [{ body: applyJob("clerk", event, { deliveryId: svixId }) }]);
		expect(consumed.value.explicitAcks).toEqual(consumed.ids);
		expect(webhookLines(consumed)).toMatchObject([{ outcome: "duplicate", via: "queue" }]);
		expect(await ledgerRecord("clerk", svixId)).toMatchObject([{ status: "processed", attempts: 1 }]);
	});

	it("the job first: the redelivery is answered duplicate", async () => {
		const { job, svixId, userId } = clerkJob();
		await consume(JOBS_QUEUE, [{ body: job }]);
		const again = await deliver(clerkRequest(userEvent("user.created", userId, T0), { id: svixId }));
		expect(again.body).toEqual({ received: true, outcome: "duplicate" });
		expect(await ledgerRecord("clerk", svixId)).toMatchObject([{ status: "processed", attempts: 1 }]);
	});

	it("both at once: exactly one applies", async () => {
		for (let round = 0; round < 5; round++) {
			const { job, svixId, userId } = clerkJob();
			const batch = createMessageBatch<Job>(JOBS_QUEUE, [
				{ id: uniqueId("message"), timestamp: new Date(), attempts: 1, body: job },
			]);
			const request = clerkRequest(userEvent("user.created", userId, T0), { id: svixId });
			const both = await observe(() =>
				Promise.all([worker.fetch(request, env, createExecutionContext()), runQueue(batch)]),
			);
			const [response, result] = both.value;
			expect(result.explicitAcks).toEqual([batch.messages[0]?.id]);
			const outcomes = webhookLines(both)
				.map((l) => l.outcome)
				.sort();
			expect(outcomes).toEqual(["applied", "duplicate"]);
			expect(response.status).toBe(200);
			expect(await ledgerRecord("clerk", svixId)).toMatchObject([{ status: "processed", attempts: 1 }]);
		}
	});
});

describe("a signature's nonce is accepted once, queued or not", () => {
	it("two jobs carrying the same nonce: the first applies, the second is refused as a replay and acked", async () => {
		const nonce = uniqueId("nonce");
		const first = clerkJob(undefined, undefined, { nonce });
		const replay = clerkJob(undefined, undefined, { nonce });
		const consumed = await consume(JOBS_QUEUE, [{ body: first.job }, { body: replay.job }]);
		expect(consumed.value.explicitAcks).toEqual(consumed.ids);
		expect(webhookLines(consumed)).toMatchObject([
			{ event_id: first.svixId, outcome: "applied" },
			{
				event_id: replay.svixId,
				outcome: "rejected",
				reason: "replayed_signature",
				level: "error",
				alert: "queued_replay_refused",
			},
		]);
		expect(await ledgerRecord("clerk", replay.svixId)).toEqual([]);
		expect(await userRow(replay.userId)).toBeUndefined();
	});
});

describe("queue() itself", () => {
	it("a batch from a queue it does not consume: every message retried with a delay, nothing applied", async () => {
		const { job, svixId } = clerkJob();
		const consumed = await consume("some-other-queue", [{ body: job }]);
		expect(consumed.value.explicitAcks).toEqual([]);
		expect(consumed.value.retryMessages).toEqual([{ msgId: consumed.ids[0] }]);
		expect(consumed.retried).toEqual([{ msgId: consumed.ids[0], delaySeconds: expect.any(Number) }]);
		expect(consumed.logs).toMatchObject([{ level: "error", message: "queue", reason: "unknown_queue" }]);
		expect(consumed.databaseRequests).toEqual([]);
		expect(await ledgerRecord("clerk", svixId)).toEqual([]);
	});

	it("never throws: a failure of its own retries the messages it had not settled", async () => {
		const { job } = clerkJob();
		const broken = { ...env, DATABASE_URL: undefined as unknown as string };
		const consumed = await consume(JOBS_QUEUE, [{ body: job }, { body: "unreadable" }], broken);
		expect(consumed.value.retryBatch.retry).toBe(false);
		expect(consumed.value.explicitAcks).toEqual([consumed.ids[1]]);
		expect(consumed.value.retryMessages).toMatchObject([{ msgId: consumed.ids[0] }]);
	});
});
