/**
 * The cron sweep through the Worker's own scheduled() handler (issue 10, items 5 and 6): a deferred
 * event whose retry-later job was lost, and a pending notification whose notify job was lost, are
 * found once overdue and their jobs enqueued again; the jobs then do their work. Rows that are not
 * overdue, or held by a job, are left alone. A database that cannot be reached is one error line, and
 * the next run tries again.
 *
 * A "lost" job is a row overdue by far (its next attempt moved a month back): the sweep takes the most
 * overdue first, so rows other test files leave behind never push these out of its batch.
 */

import { env } from "cloudflare:test";
import easypostDelivered from "@fixtures/payloads/easypost/tracker.updated.delivered.json";
import { and, eq, sql } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { notifications, webhookEvents } from "../../src/db/schema";
import { carrierRequest } from "../support/carriers";
import { uniqueId } from "../support/clerk";
import { deliver } from "../support/deliver";
import { withSettings } from "../support/email";
import { customerOrder, notificationRow, pendingNotification, shipmentOf } from "../support/outbox";
import {
	consume,
	DEAD_LETTER_QUEUE,
	JOBS_QUEUE,
	notifyJob,
	recordingQueue,
	retryLaterJob,
	runScheduled,
	webhookLines,
} from "../support/queue";
import { accepted, mockResend, resendMessageId } from "../support/resend-api";
import { ledgerRows, testDb } from "../support/rows";
import { unreachableDatabaseUrl } from "../support/unreachable";

afterEach(() => vi.restoreAllMocks());

const longAgo = sql`now() - interval '30 days'`;

/** An EasyPost event for an unknown parcel, posted with its retry-later job lost (the enqueue failed). */
async function deferredWithLostJob() {
	const event = structuredClone(easypostDelivered) as typeof easypostDelivered;
	event.id = uniqueId("evt");
	event.result.tracking_code = uniqueId("TRK").toUpperCase();
	const delivered = await deliver(await carrierRequest("easypost", event), {
		...env,
		JOBS: recordingQueue({ fail: true }),
	});
	expect(delivered.body).toEqual({ received: true, outcome: "deferred" });
	return { eventId: event.id, trackingNumber: event.result.tracking_code };
}

const setNextAttempt = (eventId: string, at: ReturnType<typeof sql>) =>
	testDb()
		.update(webhookEvents)
		.set({ nextAttemptAt: at })
		.where(and(eq(webhookEvents.provider, "easypost"), eq(webhookEvents.eventId, eventId)));

const sweepLines = (observed: { logs: Record<string, unknown>[] }) =>
	observed.logs.filter((line) => line.message === "sweep");

describe("a lost retry-later job", () => {
	it("is enqueued again once its event is overdue, and that job applies the event", async () => {
		const { eventId, trackingNumber } = await deferredWithLostJob();
		await setNextAttempt(eventId, longAgo);
		const { orderId } = await customerOrder();
		await shipmentOf(orderId, { carrier: "FedEx", trackingNumber });

		const jobs = recordingQueue();
		const swept = await runScheduled({ ...env, JOBS: jobs });
		expect(jobs.sent).toContainEqual(retryLaterJob("easypost", eventId));
		const [line] = sweepLines(swept);
		expect(line).toMatchObject({ level: "warn", outcome: "enqueued" });
		expect(line?.deferred).toBeGreaterThanOrEqual(1);

		const consumed = await consume(JOBS_QUEUE, [{ body: retryLaterJob("easypost", eventId) }], {
			...env,
			JOBS: recordingQueue(),
		});
		expect(webhookLines(consumed)).toEqual([expect.objectContaining({ outcome: "applied", event_id: eventId })]);
		expect(await ledgerRows("easypost", eventId)).toEqual([expect.objectContaining({ status: "processed" })]);
	});

	it("an event whose next attempt is still ahead (or only just past) is left to its own job", async () => {
		const { eventId } = await deferredWithLostJob();
		const jobs = recordingQueue();
		await runScheduled({ ...env, JOBS: jobs });
		expect(jobs.sent).not.toContainEqual(retryLaterJob("easypost", eventId));
		await setNextAttempt(eventId, sql`now() - interval '10 seconds'`);
		const again = recordingQueue();
		await runScheduled({ ...env, JOBS: again });
		expect(again.sent).not.toContainEqual(retryLaterJob("easypost", eventId));
	});
});

describe("a lost notify job", () => {
	it("is enqueued again once the notification is overdue and unclaimed, and that job sends it", async () => {
		const { orderId, recipient } = await customerOrder();
		const id = await pendingNotification(orderId, recipient, { nextAttemptAt: sql`now() - interval '30 days'` });
		const jobs = recordingQueue();
		const swept = await runScheduled({ ...env, JOBS: jobs });
		expect(jobs.sent).toContainEqual(notifyJob(id));
		expect(sweepLines(swept)[0]?.notifications).toBeGreaterThanOrEqual(1);

		const messageId = resendMessageId();
		const resend = mockResend(() => accepted(messageId));
		await consume(JOBS_QUEUE, [{ body: notifyJob(id) }], withSettings({ RESEND_API_KEY: "re_sweep" }));
		expect(resend.calls).toHaveLength(1);
		expect(await notificationRow(id)).toMatchObject({ status: "sent", providerMessageId: messageId });
	});

	it("a notification held by a job, not yet due, or already sent is not enqueued", async () => {
		const { orderId, recipient } = await customerOrder();
		const held = await pendingNotification(orderId, recipient, {
			nextAttemptAt: sql`now() - interval '30 days'`,
			claimedUntil: sql`now() + interval '1 minute'`,
		});
		const other = await customerOrder();
		const waiting = await pendingNotification(other.orderId, other.recipient, {
			nextAttemptAt: sql`now() + interval '2 minutes'`,
		});
		const third = await customerOrder();
		const sent = await pendingNotification(third.orderId, third.recipient, {
			status: "sent",
			nextAttemptAt: sql`now() - interval '30 days'`,
		});
		const jobs = recordingQueue();
		await runScheduled({ ...env, JOBS: jobs });
		for (const id of [held, waiting, sent]) expect(jobs.sent).not.toContainEqual(notifyJob(id));
		expect(await testDb().select().from(notifications).where(eq(notifications.id, held))).toEqual([
			expect.objectContaining({ status: "pending", attempts: 0 }),
		]);
	});
});

describe("a dead retry-later or notify job", () => {
	it("is logged and acked in the dead-letter queue; its row stays for the sweep", async () => {
		const { eventId } = await deferredWithLostJob();
		const { orderId, recipient } = await customerOrder();
		const id = await pendingNotification(orderId, recipient);
		const consumed = await consume(DEAD_LETTER_QUEUE, [
			{ body: retryLaterJob("easypost", eventId), attempts: 31 },
			{ body: notifyJob(id), attempts: 31 },
		]);
		expect(consumed.value.explicitAcks).toEqual(consumed.ids);
		expect(consumed.logs).toEqual([
			expect.objectContaining({ level: "warn", job: "retry-later", outcome: "dropped", recovery: "cron sweep" }),
			expect.objectContaining({ level: "warn", job: "notify", notification_id: id, recovery: "cron sweep" }),
		]);
		expect(await ledgerRows("easypost", eventId)).toEqual([expect.objectContaining({ status: "deferred" })]);
		expect(await notificationRow(id)).toMatchObject({ status: "pending", attempts: 0 });
	});
});

describe("when something fails", () => {
	it("the database unreachable: one error line, nothing enqueued, no throw", async () => {
		const jobs = recordingQueue();
		const swept = await runScheduled({ ...env, DATABASE_URL: unreachableDatabaseUrl, JOBS: jobs });
		expect(jobs.sent).toEqual([]);
		expect(sweepLines(swept)).toEqual([expect.objectContaining({ level: "error", outcome: "database_unavailable" })]);
	});

	it("the enqueue failing: one error line with the counts; the rows wait for the next run", async () => {
		const { eventId } = await deferredWithLostJob();
		await setNextAttempt(eventId, longAgo);
		const swept = await runScheduled({ ...env, JOBS: recordingQueue({ fail: true }) });
		expect(sweepLines(swept)).toEqual([
			expect.objectContaining({ level: "error", outcome: "enqueue_failed", reason: "send_failed" }),
		]);
		expect(await ledgerRows("easypost", eventId)).toEqual([expect.objectContaining({ status: "deferred" })]);
	});
});
