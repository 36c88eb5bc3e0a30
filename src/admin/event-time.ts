/**
 * @module admin/event-time
 * When the provider says an event happened, read from the payload the ledger stores, for the stats'
 * provider delay (received_at − event time). The ledger has no column for it: each provider names the
 * time in its own field and unit, listed here. SQL extracts the field as text (never cast there: a
 * value Postgres could not read would fail the whole query), and `eventTimeMs` reads it here; an
 * unreadable or missing value is left out of the stats. Erased payloads keep these fields when their
 * skeleton does (top-level `created`, `timestamp`, `created_at`: src/privacy.ts).
 */
import { type SQL, sql } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";

type Unit = "seconds" | "milliseconds" | "iso";

/** Per provider (the ledger's `provider`), the path of its event time in the stored payload and its unit. */
export const eventTimeFields: Record<string, { path: string[]; unit: Unit; source: string }> = {
	stripe: { path: ["created"], unit: "seconds", source: "Event.created (https://docs.stripe.com/api/events/object)" },
	clerk: { path: ["timestamp"], unit: "milliseconds", source: "the webhook event's `timestamp` (Clerk)" },
	resend: { path: ["created_at"], unit: "iso", source: "the event's `created_at` (https://resend.com/docs/webhooks)" },
	// the ledger stores each element of a SendGrid batch as its own event
	sendgrid: { path: ["timestamp"], unit: "seconds", source: "the element's `timestamp` (SendGrid Event Webhook)" },
	mailgun: { path: ["event-data", "timestamp"], unit: "seconds", source: "event-data.timestamp (Mailgun)" },
	postmark: { path: [], unit: "iso", source: "DeliveredAt, BouncedAt, ReceivedAt or ChangedAt (Postmark)" },
	easypost: { path: ["created_at"], unit: "iso", source: "the Event's created_at (EasyPost)" },
	aftership: { path: ["ts"], unit: "seconds", source: "`ts` (AfterShip tracking webhook)" },
	shippo: {
		path: ["data", "tracking_status", "object_updated"],
		unit: "iso",
		source: "tracking_status.object_updated (Shippo)",
	},
};

/** Postmark names the time after the record type: the first of these a record carries. */
const postmarkFields = ["DeliveredAt", "BouncedAt", "ReceivedAt", "ChangedAt"];

const textArray = (path: string[]) =>
	sql`array[${sql.join(
		path.map((part) => sql`${part}`),
		sql`, `,
	)}]::text[]`;

/** An SQL expression: the provider's event time field of `payload` as text (NULL when absent). */
export function eventTimeColumn(provider: AnyPgColumn, payload: AnyPgColumn): SQL<string | null> {
	const cases = Object.entries(eventTimeFields).map(([name, { path }]) => {
		const value =
			name === "postmark"
				? sql`coalesce(${sql.join(
						postmarkFields.map((field) => sql`${payload} ->> ${field}`),
						sql`, `,
					)})`
				: sql`${payload} #>> ${textArray(path)}`;
		return sql`when ${name} then ${value}`;
	});
	return sql<string | null>`(case ${provider} ${sql.join(cases, sql` `)} end)`;
}

const isoInstant = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})$/i;

/** The event time `text` names for `provider`, in unix ms; undefined when it cannot be read. */
export function eventTimeMs(provider: string, text: string | null): number | undefined {
	const field = Object.hasOwn(eventTimeFields, provider) ? eventTimeFields[provider] : undefined;
	if (!field || text === null) return undefined;
	let ms: number;
	if (field.unit === "iso") {
		if (!isoInstant.test(text)) return undefined;
		// Date reads at most milliseconds: shorten longer fractions (Postmark sends 7 digits)
		ms = Date.parse(text.replace(/(\.\d{3})\d+/, "$1"));
	} else {
		if (!/^\d{1,16}(?:\.\d{1,9})?$/.test(text)) return undefined;
		ms = Number(text) * (field.unit === "seconds" ? 1000 : 1);
	}
	// 1970 … 9999, as a Date and a timestamptz hold
	return Number.isFinite(ms) && ms >= 0 && ms <= 253_402_300_799_999 ? Math.round(ms) : undefined;
}
