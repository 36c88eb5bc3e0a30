/**
 * @module db/schema
 * The Postgres tables this service owns: the webhook ledger and the rows that providers keep in
 * sync. drizzle-kit generates the migrations in `drizzle/` from this file.
 */
import { sql } from "drizzle-orm";
import {
	bigint,
	boolean,
	check,
	index,
	integer,
	jsonb,
	pgTable,
	text,
	timestamp,
	uniqueIndex,
} from "drizzle-orm/pg-core";

/** Where an event stands in the ledger. */
export const webhookEventStatuses = ["received", "processed", "ignored", "unmatched", "failed", "dead"] as const;
export type WebhookEventStatus = (typeof webhookEventStatuses)[number];

const instant = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

/** Every verified webhook, once per (provider, event_id): the source of idempotency and replay. */
export const webhookEvents = pgTable(
	"webhook_events",
	{
		id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
		provider: text("provider").notNull(),
		eventId: text("event_id").notNull(),
		eventType: text("event_type").notNull(),
		status: text("status").$type<WebhookEventStatus>().notNull(),
		attempts: integer("attempts").notNull().default(1),
		receivedAt: instant("received_at").notNull().defaultNow(),
		processedAt: instant("processed_at"),
		lastError: text("last_error"),
		payload: jsonb("payload").notNull(),
	},
	(table) => [
		uniqueIndex("webhook_events_provider_event_id_key").on(table.provider, table.eventId),
		index("webhook_events_received_at_idx").on(table.receivedAt),
		check(
			"webhook_events_status_check",
			sql.raw(`status in (${webhookEventStatuses.map((s) => `'${s}'`).join(", ")})`),
		),
	],
);

/** Shop users mirrored from Clerk. A deleted user stays as a tombstone so late events cannot revive it. */
export const users = pgTable(
	"users",
	{
		id: text("id").primaryKey(),
		email: text("email"),
		emailVerified: boolean("email_verified"),
		firstName: text("first_name"),
		lastName: text("last_name"),
		username: text("username"),
		imageUrl: text("image_url"),
		createdAt: instant("created_at"),
		updatedAt: instant("updated_at"),
		deletedAt: instant("deleted_at"),
		lastEventAt: instant("last_event_at"),
	},
	(table) => [index("users_email_idx").on(table.email)],
);
