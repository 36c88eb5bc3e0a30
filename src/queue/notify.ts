/**
 * @module queue/notify
 * The `notify` job: sends one row of the notifications outbox (src/domain/notifications.ts) through
 * Resend (src/notify/resend-api.ts). The row is the truth, the message a wake-up call: a job first
 * claims the row (one atomic update: pending, due, and not held by another job), so duplicate or
 * concurrent jobs send it once; a job that finds nothing to claim is acked. Then:
 * - no `RESEND_API_KEY`, no recipient, or a suppressed recipient (email_suppressions) → `skipped`;
 * - Resend accepts it → `sent`, with Resend's message id, and the message is recorded in
 *   `email_messages` (src/domain/emails.ts, as an `email.sent` fact) so that Resend's later events
 *   about it (delivered, bounced…) find the order;
 * - Resend fails or rate-limits us, or cannot be reached → retried: `next_attempt_at` set, the claim
 *   released, the message retried with the same delay (Retry-After on a 429, else backoff); `failed`
 *   after MAX_NOTIFY_ATTEMPTS;
 * - Resend refuses the request (another 4xx) → `failed` at once.
 * Every attempt logs one `notification` line (ids, kind, outcome, status code): never the recipient,
 * the subject or the API key. A failed one raises `alert: "notification_failed"` at error. Each try
 * uses the idempotency key `notification-<id>`, so a retry after a lost answer sends nothing twice
 * (Resend keeps a key 24 hours: https://resend.com/docs/dashboard/emails/idempotency-keys). Resend
 * answers a key reused with another body `409 invalid_idempotent_request` (same page), so every try
 * sends the same body: the first one that sends writes its subject, text and sender (NOTIFY_FROM
 * then) on the row, before the request, and every later one sends those, whatever the parcels or
 * NOTIFY_FROM have become since; the recipient and tags are the row's already. A 409
 * `invalid_idempotent_request` is then `failed` with a `last_error` that says what it means.
 * A retry waits in the row (`next_attempt_at`, up to a day for Resend's Retry-After) and in its
 * message, delayed at most what Queues allow (MAX_DELAY_SECONDS): a message that wakes before the row
 * is due finds nothing to claim and is acked, and the cron sweep (queue/sweep.ts) runs the row once
 * overdue.
 */
import { and, eq, isNull, lt, or, sql } from "drizzle-orm";
import { database } from "../db/client";
import { emailSuppressions, type NotificationKind, notifications, orders } from "../db/schema";
import { lowerAddress } from "../domain/email-suppressions";
import { applyEmailEvent } from "../domain/emails";
import { notificationMessage, notifiedParcels } from "../domain/notifications";
import { type LogLevel, log, logCode } from "../log";
import { type SendOutcome, sendEmail } from "../notify/resend-api";
import { type Change, setting } from "../webhooks/provider";
import { backoffSeconds, MAX_DELAY_SECONDS } from "./backoff";
import type { NotifyJob } from "./jobs";
import { type QueueMessage, retryWhileUnavailable } from "./message";

/** After this many attempts a notification Resend keeps failing is `failed`. */
export const MAX_NOTIFY_ATTEMPTS = 8;
/** How long a claim holds a row (s): longer than a send may take (notify/resend-api.ts SEND_TIMEOUT_MS). */
export const CLAIM_SECONDS = 120;
/** The sender when NOTIFY_FROM is unset: Resend's test address, which sends only to the account's own address. */
export const DEFAULT_FROM = "onboarding@resend.dev";
/** The email provider notifications go through: `email_messages.provider` of what they send. */
const PROVIDER = "resend";

/** A claimed row: what sending it needs. */
interface Claimed {
	id: number;
	kind: NotificationKind;
	orderId: string;
	recipient: string | null;
	attempts: number;
	/** The order's user: the customer a `delivered` message is about. */
	userId: string | null;
	suppressed: boolean;
	/** The message an earlier attempt fixed (all three, or none yet). */
	subject: string | null;
	text: string | null;
	sender: string | null;
}

/** The message a notification sends on every attempt: fixed by the first (see the module header). */
interface FixedMessage {
	subject: string;
	text: string;
	sender: string;
	/**
	 * Fixed by this attempt although earlier ones were made (a row whose first attempts predate
	 * migration 0011 built their body afresh): those may have sent another body under the same key.
	 */
	fixedLate: boolean;
}

/** What became of one attempt: the row's new state and the log line's fields. */
type Ending =
	| { status: "sent"; messageId: string | null; subject: string; statusCode: number }
	| { status: "skipped"; reason: string }
	| { status: "failed"; reason: string; statusCode: number | null }
	| { status: "pending"; reason: string; statusCode: number | null; delaySeconds: number };

/** Sends the outbox rows of `messages`' jobs, one after the other (Resend allows a few requests a second). */
export async function consumeNotifications(
	items: { message: QueueMessage; job: NotifyJob }[],
	env: Env,
): Promise<void> {
	for (const { message, job } of items) await notify(message, job, env);
}

/** One `notify` job: claim, send, record; settles its message. Never throws. */
async function notify(message: QueueMessage, job: NotifyJob, env: Env): Promise<void> {
	const started = Date.now();
	const db = database(env.DATABASE_URL);
	const line = (level: LogLevel, fields: Record<string, unknown>) =>
		log(level, "notification", {
			notification_id: job.notificationId,
			...fields,
			queue_attempt: message.attempts,
			duration_ms: Date.now() - started,
		});
	let claimed: Claimed | undefined;
	try {
		[claimed] = await claim(db, job.notificationId);
	} catch (error) {
		retryWhileUnavailable(message, error, line);
		return;
	}
	if (!claimed) {
		// sent, skipped or failed already, held by another job, not due yet, or no such row
		line("info", { outcome: "duplicate", reason: "not_claimable" });
		message.ack();
		return;
	}
	const about = {
		order_id: logCode("id", claimed.orderId),
		kind: claimed.kind,
		attempt: claimed.attempts,
	};
	let ending: Ending;
	try {
		ending = await attempt(db, claimed, env);
	} catch (error) {
		// the parcels could not be read: the row stays claimed until CLAIM_SECONDS pass, then a retry takes it
		retryWhileUnavailable(message, error, line, { extraSeconds: CLAIM_SECONDS, fields: about });
		return;
	}
	try {
		await db.batch(finish(db, claimed, ending));
	} catch (error) {
		// Resend may have sent it: the claim lapses, and the retry sends with the same idempotency key,
		// which Resend answers as the first time without sending again.
		retryWhileUnavailable(message, error, line, {
			extraSeconds: CLAIM_SECONDS,
			level: "error",
			fields: { ...about, detail: `recording the ${ending.status} notification failed` },
		});
		return;
	}
	switch (ending.status) {
		case "sent":
			line(ending.messageId ? "info" : "warn", {
				...about,
				outcome: "sent",
				status_code: ending.statusCode,
				provider_message_id: logCode("id", ending.messageId),
				...(ending.messageId ? {} : { reason: "no_message_id" }),
			});
			message.ack();
			return;
		case "skipped":
			line("info", { ...about, outcome: "skipped", reason: ending.reason });
			message.ack();
			return;
		case "failed":
			line("error", {
				...about,
				outcome: "failed",
				alert: "notification_failed",
				reason: ending.reason,
				status_code: ending.statusCode,
			});
			message.ack();
			return;
		case "pending":
			line("warn", {
				...about,
				outcome: "retry",
				reason: ending.reason,
				status_code: ending.statusCode,
				delay_seconds: ending.delaySeconds,
			});
			// a wait longer than Queues delay a message: it wakes early, finds the row not due, and is acked
			message.retry({ delaySeconds: Math.min(MAX_DELAY_SECONDS, ending.delaySeconds) });
			return;
	}
}

/**
 * Takes row `id` for CLAIM_SECONDS when it is pending, due (within 5 s) and held by no other job,
 * counting the attempt: none when it is not claimable. One statement, so two jobs never both take it.
 */
function claim(db: ReturnType<typeof database>, id: number) {
	const n = notifications;
	return db
		.update(n)
		.set({ attempts: sql`${n.attempts} + 1`, claimedUntil: sql`now() + make_interval(secs => ${CLAIM_SECONDS})` })
		.where(
			and(
				eq(n.id, id),
				eq(n.status, "pending"),
				or(isNull(n.claimedUntil), lt(n.claimedUntil, sql`now()`)),
				sql`${n.nextAttemptAt} <= now() + interval '5 seconds'`,
			),
		)
		.returning({
			id: n.id,
			kind: n.kind,
			orderId: n.orderId,
			recipient: n.recipient,
			attempts: n.attempts,
			userId: sql<string | null>`(select ${orders.userId} from ${orders} where ${orders.id} = ${n.orderId})`,
			suppressed: sql<boolean>`exists (select 1 from ${emailSuppressions}
				where ${emailSuppressions.address} = ${lowerAddress(n.recipient)})`,
			subject: n.subject,
			text: n.text,
			sender: n.sender,
		});
}

/**
 * The message of the claimed row: the one an earlier attempt fixed, else the one built now from the
 * order's parcels and NOTIFY_FROM, written on the row before it is sent (a row that has one keeps it).
 * Throws only when the database fails.
 */
async function fixedMessage(db: ReturnType<typeof database>, row: Claimed, env: Env): Promise<FixedMessage> {
	if (row.subject !== null && row.text !== null && row.sender !== null)
		return { subject: row.subject, text: row.text, sender: row.sender, fixedLate: false };
	const built = notificationMessage(row.kind, row.orderId, await notifiedParcels(db, row.orderId));
	const n = notifications;
	const [stored] = await db
		.update(n)
		.set({
			subject: sql`coalesce(${n.subject}, ${built.subject})`,
			text: sql`coalesce(${n.text}, ${built.text})`,
			sender: sql`coalesce(${n.sender}, ${setting(env, "NOTIFY_FROM")?.trim() || DEFAULT_FROM})`,
		})
		.where(eq(n.id, row.id))
		.returning({ subject: n.subject, text: n.text, sender: n.sender });
	if (!stored?.subject || stored.text === null || !stored.sender) throw new Error("the notification row is gone");
	return { subject: stored.subject, text: stored.text, sender: stored.sender, fixedLate: row.attempts > 1 };
}

/** Decides and, when it is to be sent, sends the claimed notification. Throws only when the database fails. */
async function attempt(db: ReturnType<typeof database>, row: Claimed, env: Env): Promise<Ending> {
	const apiKey = setting(env, "RESEND_API_KEY")?.trim();
	if (!apiKey) return { status: "skipped", reason: "no RESEND_API_KEY" };
	if (!row.recipient) return { status: "skipped", reason: "no_recipient" };
	if (row.suppressed) return { status: "skipped", reason: "suppressed" };
	const message = await fixedMessage(db, row, env);
	const sent = await sendEmail(apiKey, {
		from: message.sender,
		to: row.recipient,
		subject: message.subject,
		text: message.text,
		tags: [
			{ name: "order_id", value: row.orderId },
			{ name: "notification_id", value: String(row.id) },
		],
		idempotencyKey: idempotencyKey(row.id),
	});
	return ending(sent, row.attempts, message);
}

/** The idempotency key of every attempt of notification `id`. */
const idempotencyKey = (id: number) => `notification-${id}`;

/**
 * `last_error` of a 409 `invalid_idempotent_request` (the key was used with another body): when this
 * attempt's message was fixed late, an earlier attempt sent another body and may have been delivered;
 * otherwise every attempt sent this body, so another request took the key (another deployment sending
 * with the same API key and notification ids) and this email was not sent.
 */
export const reusedKeyErrors = {
	bodyChanged:
		"resend 409 invalid_idempotent_request: an earlier attempt sent another body under this idempotency key; it may have been delivered (check Resend's logs)",
	keyTaken:
		"resend 409 invalid_idempotent_request: another request used this idempotency key (another deployment with this RESEND_API_KEY?); this email was not sent",
} as const;

/** What Resend's answer makes of an attempt: the last one that failed is `failed`. */
function ending(sent: SendOutcome, attempts: number, message: FixedMessage): Ending {
	switch (sent.kind) {
		case "sent":
			return { status: "sent", messageId: sent.messageId, subject: message.subject, statusCode: sent.status };
		case "failed":
			if (sent.status === 409 && sent.errorName === "invalid_idempotent_request")
				return {
					status: "failed",
					reason: message.fixedLate ? reusedKeyErrors.bodyChanged : reusedKeyErrors.keyTaken,
					statusCode: sent.status,
				};
			return { status: "failed", reason: resendError(sent.status, sent.errorName), statusCode: sent.status };
		case "retry": {
			const reason = resendError(sent.status, sent.errorName);
			if (attempts >= MAX_NOTIFY_ATTEMPTS)
				return { status: "failed", reason: `${reason} (after ${attempts} attempts)`, statusCode: sent.status };
			const delaySeconds = sent.retryAfterSeconds ?? backoffSeconds(attempts);
			return { status: "pending", reason, statusCode: sent.status, delaySeconds };
		}
	}
}

/** `last_error` for Resend's answer: its status and error name, never its message (it may quote the address). */
function resendError(status: number | null, name: string | null): string {
	if (status === null) return "resend unreachable (network error or timeout)";
	return `resend ${status}${name ? ` ${name}` : ""}`;
}

type Db = ReturnType<typeof database>;

/** The update of the claimed row for its ending (the claim released). */
function finishRow(db: Db, row: Claimed, ending: Ending) {
	const n = notifications;
	const set: Partial<Record<keyof typeof n.$inferInsert, unknown>> = { claimedUntil: null };
	switch (ending.status) {
		case "sent":
			Object.assign(set, {
				status: "sent",
				providerMessageId: ending.messageId,
				sentAt: sql`now()`,
				lastError: null,
			});
			break;
		case "skipped":
			Object.assign(set, { status: "skipped", lastError: ending.reason });
			break;
		case "failed":
			Object.assign(set, { status: "failed", lastError: ending.reason });
			break;
		case "pending":
			Object.assign(set, {
				lastError: ending.reason,
				nextAttemptAt: sql`now() + make_interval(secs => ${ending.delaySeconds})`,
			});
			break;
	}
	return db
		.update(n)
		.set(set as typeof n.$inferInsert)
		.where(and(eq(n.id, row.id), eq(n.status, "pending")))
		.returning({ id: n.id });
}

/**
 * The statements that record an attempt's ending, in one transaction: the row's update and, for a
 * sent message with an id, its `email_messages` row (an `email.sent` fact from us, merged with what
 * Resend's events say about the same message, in any order).
 */
function finish(db: Db, row: Claimed, ending: Ending): [Change, ...Change[]] {
	const statements: [Change, ...Change[]] = [finishRow(db, row, ending)];
	if (ending.status === "sent" && ending.messageId)
		statements.push(
			...applyEmailEvent(
				db,
				PROVIDER,
				{
					eventId: idempotencyKey(row.id),
					eventType: "email.sent",
					kind: "sent",
					messageId: ending.messageId,
					at: new Date(),
					recipient: row.recipient,
					subject: ending.subject,
					bounceType: null,
					orderId: row.orderId,
					// the customer a delivery notice is about (erased with them); the operator's notice is about nobody
					userId: row.kind === "delivered" ? row.userId : null,
				},
				sql`true`,
			),
		);
	return statements;
}
