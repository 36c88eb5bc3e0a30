/**
 * Test helper for the email domain (src/domain/emails.ts): email events in the abstract, applied in
 * `db.batch` calls behind the real ledger guard (each event recorded by `recordEvent`, its changes
 * gated by `recordedByThisTransaction`, as the pipeline does), the rows they leave, and a model that
 * computes those rows from the set of events alone.
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import { emailMessages, emailSuppressions, users } from "../../src/db/schema";
import type { EmailEvent, EmailEventKind } from "../../src/domain/email-events";
import { applyEmailEvent } from "../../src/domain/emails";
import { recordEvent, recordedByThisTransaction } from "../../src/ledger";
import type { Change } from "../../src/webhooks/provider";
import { ledgerBody } from "../../src/webhooks/storable";
import { testDb } from "./rows";

export const T0 = Date.UTC(2026, 5, 1, 9, 0, 0);

/** An email event of namespace `ns`: ids, message, recipient and user are prefixed with it. */
export interface EmailSpec {
	id: string;
	kind: EmailEventKind;
	/** seconds after T0 */
	at: number;
	message?: string;
	/** the local part of the recipient (`<ns><local>@example.org`), in the case given */
	to?: string | null;
	bounceType?: "hard" | "soft" | null;
	subject?: string | null;
	orderId?: string | null;
	userId?: string | null;
}

export function emailEvent(spec: EmailSpec, ns: string): EmailEvent {
	return {
		eventId: `${ns}ev_${spec.id}`,
		eventType: spec.kind,
		kind: spec.kind,
		messageId: `${ns}${spec.message ?? "msg"}`,
		at: new Date(T0 + spec.at * 1000),
		recipient: spec.to === null ? null : `${ns}${spec.to ?? "ada"}@example.org`,
		subject: spec.subject ?? null,
		bounceType: spec.kind === "bounced" ? (spec.bounceType === undefined ? "hard" : spec.bounceType) : null,
		orderId: spec.orderId ?? null,
		userId: spec.userId === undefined || spec.userId === null ? null : `${ns}${spec.userId}`,
	};
}

/** The ledger row and the changes of one event, gated as the pipeline gates them. */
export function guarded(provider: string, event: EmailEvent): Change[] {
	const db = testDb();
	return [
		recordEvent(db, {
			provider,
			eventId: event.eventId,
			eventType: event.eventType,
			status: "processed",
			body: ledgerBody("{}", {}),
		}),
		...applyEmailEvent(db, provider, event, recordedByThisTransaction(provider, event.eventId)),
	];
}

/** An event and the provider (the ledger's name) that reported it. */
export interface Reported {
	provider: string;
	event: EmailEvent;
}

/**
 * Applies `events` (of one provider, or each with its own) in one `db.batch`, behind the ledger
 * guard; resolves to, per event, whether it changed something (a row returned by one of its changes),
 * changed nothing (`stale`) or was a `duplicate` (the ledger knew it).
 */
export async function applyInOneBatch(provider: string | null, events: (EmailEvent | Reported)[]) {
	const reported = events.map((e) => ("event" in e ? e : { provider: provider ?? "", event: e }));
	const parts = reported.map(({ provider, event }) => guarded(provider, event));
	const results = (await testDb().batch(parts.flat() as [Change, ...Change[]])) as unknown[][];
	let at = 0;
	return parts.map((part) => {
		const [recorded, ...changes] = results.slice(at, at + part.length);
		at += part.length;
		if (recorded?.length === 0) return "duplicate";
		return changes.some((rows) => rows.length > 0) ? "applied" : "stale";
	});
}

const iso = (value: Date | null) => value?.toISOString() ?? null;

/**
 * The messages and suppressions of namespace `ns` (whose providers' names start with `ns`), and its
 * users' email status, as plain values.
 */
export async function emailRows(ns: string) {
	const db = testDb();
	const messages = await db
		.select()
		.from(emailMessages)
		.where(sql`${emailMessages.provider} like ${`${ns}%`}`)
		.orderBy(sql`${emailMessages.provider} collate "C"`, sql`${emailMessages.providerMessageId} collate "C"`);
	const suppressions = await db
		.select()
		.from(emailSuppressions)
		.where(sql`${emailSuppressions.address} like ${`${ns}%`}`)
		.orderBy(sql`${emailSuppressions.address} collate "C"`);
	const people = await db
		.select({ id: users.id, email: users.email, emailStatus: users.emailStatus })
		.from(users)
		.where(sql`${users.id} like ${`${ns}%`}`)
		.orderBy(sql`${users.id} collate "C"`);
	return {
		messages: messages.map(({ id: _, ...row }) => ({
			...row,
			sentAt: iso(row.sentAt),
			delayedAt: iso(row.delayedAt),
			deliveredAt: iso(row.deliveredAt),
			bouncedAt: iso(row.bouncedAt),
			complainedAt: iso(row.complainedAt),
			failedAt: iso(row.failedAt),
			firstOpenedAt: iso(row.firstOpenedAt),
			lastOpenedAt: iso(row.lastOpenedAt),
			firstEventAt: iso(row.firstEventAt),
			lastEventAt: iso(row.lastEventAt),
			erasedAt: iso(row.erasedAt),
		})),
		suppressions: suppressions.map((row) => ({
			...row,
			firstAt: iso(row.firstAt),
			lastAt: iso(row.lastAt),
			reasonEventAt: iso(row.reasonEventAt),
		})),
		users: people,
	};
}

export async function messageRow(provider: string, ns: string, message = "msg") {
	const rows = await testDb()
		.select()
		.from(emailMessages)
		.where(and(eq(emailMessages.provider, provider), eq(emailMessages.providerMessageId, `${ns}${message}`)));
	return rows[0];
}

export async function suppressionRows(addresses: string[]) {
	return testDb().select().from(emailSuppressions).where(inArray(emailSuppressions.address, addresses));
}

// ——— the model: what the rows must be, from the set of events alone ———

const minOf = (values: (string | null)[]) =>
	values.filter((v): v is string => v !== null).reduce<string | null>((m, v) => (m === null || v < m ? v : m), null);
const maxOf = (values: (string | null)[]) =>
	values.filter((v): v is string => v !== null).reduce<string | null>((m, v) => (m === null || v > m ? v : m), null);
const nonEmpty = (value: string | null) => (value === null || value.trim() === "" ? null : value);

/** The status precedence, lowest first (README, "Email states"). */
export const statusOrder = [
	"sent",
	"delayed",
	"bounced (soft)",
	"delivered",
	"opened",
	"clicked",
	"failed",
	"complained",
	"bounced (hard)",
] as const;

/** The expected `emailRows` messages and suppressions of a set of reported events. */
export function expectedRows(reported: Reported[]) {
	const byMessage = new Map<string, Reported[]>();
	for (const r of reported) {
		const key = `${r.provider}\u0000${r.event.messageId}`;
		byMessage.set(key, [...(byMessage.get(key) ?? []), r]);
	}
	const messages = [...byMessage.keys()].sort().map((key) => {
		const all = (byMessage.get(key) ?? []).map((r) => r.event);
		const [provider, messageId] = key.split("\u0000");
		const times = (kind: EmailEventKind, type?: "hard" | "soft") =>
			all
				.filter((e) => e.kind === kind && (type === undefined || (e.bounceType ?? "hard") === type))
				.map((e) => e.at.toISOString());
		const hard = times("bounced", "hard");
		const soft = times("bounced", "soft");
		const bounceType = hard.length > 0 ? "hard" : soft.length > 0 ? "soft" : null;
		const ranks = all.map((e) => {
			const name = e.kind === "bounced" ? `bounced (${e.bounceType ?? "hard"})` : e.kind;
			return statusOrder.indexOf(name as (typeof statusOrder)[number]);
		});
		const top = statusOrder[Math.max(0, ...ranks)] ?? "sent";
		return {
			provider,
			providerMessageId: messageId,
			recipient: minOf(all.map((e) => nonEmpty(e.recipient)?.trim().toLowerCase() ?? null)),
			subject: minOf(all.map((e) => nonEmpty(e.subject))),
			orderId: minOf(all.map((e) => nonEmpty(e.orderId))),
			userId: minOf(all.map((e) => nonEmpty(e.userId))),
			status: top.replace(/ \(.*\)$/, ""),
			sentAt: minOf(times("sent")),
			delayedAt: minOf(times("delayed")),
			deliveredAt: minOf(times("delivered")),
			bouncedAt: minOf(bounceType === "hard" ? hard : soft),
			bounceType,
			softBounceCount: soft.length,
			complainedAt: minOf(times("complained")),
			failedAt: minOf(times("failed")),
			firstOpenedAt: minOf(times("opened")),
			lastOpenedAt: maxOf(times("opened")),
			openCount: times("opened").length,
			clickCount: times("clicked").length,
			firstEventAt: minOf(all.map((e) => e.at.toISOString())),
			lastEventAt: maxOf(all.map((e) => e.at.toISOString())),
			erasedAt: null,
		};
	});
	const byAddress = new Map<string, { r: Reported; reason: "hard_bounce" | "complaint" }[]>();
	for (const r of reported) {
		const { event } = r;
		const address = nonEmpty(event.recipient)?.trim().toLowerCase();
		const reason =
			event.kind === "complained"
				? "complaint"
				: event.kind === "bounced" && (event.bounceType ?? "hard") === "hard"
					? "hard_bounce"
					: null;
		if (address && reason) byAddress.set(address, [...(byAddress.get(address) ?? []), { r, reason }]);
	}
	const suppressions = [...byAddress.keys()].sort().map((address) => {
		const all = byAddress.get(address) ?? [];
		const reason = all.some((s) => s.reason === "hard_bounce") ? "hard_bounce" : "complaint";
		const key = ({ provider, event }: Reported) => `${event.at.toISOString()}\u0000${provider}\u0000${event.eventId}`;
		const [first] = all
			.filter((s) => s.reason === reason)
			.map((s) => s.r)
			.sort((a, b) => (key(a) < key(b) ? -1 : 1));
		return {
			address,
			reason,
			provider: first?.provider ?? null,
			firstAt: minOf(all.map((s) => s.r.event.at.toISOString())),
			lastAt: maxOf(all.map((s) => s.r.event.at.toISOString())),
			reasonEventAt: first?.event.at.toISOString() ?? null,
			reasonEventId: first?.event.eventId ?? null,
		};
	});
	return { messages, suppressions };
}
