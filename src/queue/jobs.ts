/**
 * @module queue/jobs
 * What the jobs queue carries: a tagged union validated with zod on the way out of the queue (a
 * message that does not parse is dropped with an error log: no retry can mend it). `apply`: a
 * verified delivery that could not be applied when it arrived (the database was unreachable), with
 * all that is needed to apply it later exactly as if it had just arrived. `retry-later` and `notify`
 * are wake-up calls for rows of the database (a deferred ledger event, a pending notification): the
 * row is the truth, and the cron sweep re-enqueues one whose job was lost. `replay` runs a ledger
 * event again from its stored payload (an operator's bulk replay). `stripe-backfill` and
 * `clerk-reconcile` each carry one page of a recovery an operator started (src/admin/recovery).
 */
import * as z from "zod/mini";

export const applyJob = z.object({
	kind: z.literal("apply"),
	/** The provider's name (src/providers/index.ts). */
	provider: z.string(),
	/** The verified body, decoded as UTF-8 (never re-verified: it was, on arrival). */
	body: z.string(),
	/** What verification established: the delivery id (svix-id), the signing time (unix seconds), a nonce. */
	deliveryId: z.optional(z.string()),
	sentAt: z.optional(z.number()),
	nonce: z.optional(z.string()),
	/** When it arrived (unix milliseconds), and the request's id, for the logs. */
	receivedAt: z.number(),
	requestId: z.string(),
});
export type ApplyJob = z.infer<typeof applyJob>;

/**
 * `retry-later`: a ledger event recorded `deferred` (a tracking update for a parcel the shop had not
 * recorded yet), run again from its stored payload once its `next_attempt_at` has come.
 */
export const retryLaterJob = z.object({
	kind: z.literal("retry-later"),
	provider: z.string(),
	eventId: z.string(),
});
export type RetryLaterJob = z.infer<typeof retryLaterJob>;

/**
 * `replay`: an operator's bulk replay of the ledger event (`provider`, `eventId`), run again from its
 * stored payload (src/admin/replay.ts, src/queue/replay.ts): a `processed` or `ignored` one is a
 * duplicate, a `deferred` one is made due first.
 */
export const replayJob = z.object({
	kind: z.literal("replay"),
	provider: z.string(),
	eventId: z.string(),
});
export type ReplayJob = z.infer<typeof replayJob>;

/** `notify`: send the `notifications` outbox row `notificationId` (src/domain/notifications.ts). */
export const notifyJob = z.object({
	kind: z.literal("notify"),
	notificationId: z.number(),
});
export type NotifyJob = z.infer<typeof notifyJob>;

/**
 * `stripe-backfill`: the page of Stripe's event list that follows `startingAfter` (from the start
 * when absent) for the admin run `runId` (src/admin/recovery/stripe-backfill.ts).
 */
export const stripeBackfillJob = z.object({
	kind: z.literal("stripe-backfill"),
	runId: z.number(),
	startingAfter: z.optional(z.string()),
});
export type StripeBackfillJob = z.infer<typeof stripeBackfillJob>;

/** `clerk-reconcile`: the page of Clerk's users at `offset` for the admin run `runId` (src/admin/recovery/clerk-reconcile.ts). */
export const clerkReconcileJob = z.object({
	kind: z.literal("clerk-reconcile"),
	runId: z.number(),
	offset: z.number(),
});
export type ClerkReconcileJob = z.infer<typeof clerkReconcileJob>;

/** The recoveries' jobs: one page each; the run's row (admin_runs) is the truth. */
export type RecoveryJob = StripeBackfillJob | ClerkReconcileJob;

export const job = z.discriminatedUnion("kind", [
	applyJob,
	retryLaterJob,
	replayJob,
	notifyJob,
	stripeBackfillJob,
	clerkReconcileJob,
]);
export type Job = z.infer<typeof job>;
