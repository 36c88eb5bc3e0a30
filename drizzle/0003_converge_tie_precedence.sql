ALTER TABLE "orders" ADD COLUMN "stripe_checkout_paid" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "stripe_checkout_payment_intent_id" text;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "status_event_rank" smallint;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "status_event_id" text;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "snapshot_event_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "snapshot_event_rank" smallint;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "snapshot_event_id" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "last_event_id" text;--> statement-breakpoint
ALTER TABLE "orders" DROP COLUMN "last_stripe_event_at";--> statement-breakpoint
-- Hand-written below (issue 7): existing rows brought to the rules the new code keeps.
-- A tombstone holds no snapshot column, its times included.
UPDATE "users" SET "created_at" = NULL, "updated_at" = NULL WHERE "deleted_at" IS NOT NULL;--> statement-breakpoint
-- cancelled_at and payment_error are kept only while the order is cancelled.
UPDATE "orders" SET "cancelled_at" = NULL, "payment_error" = NULL WHERE "status" <> 'cancelled';--> statement-breakpoint
-- A subscription that mirrored a snapshot: its key is at most the newest event's time (rank and id
-- unknown, so an event of that same second replaces it).
UPDATE "subscriptions" SET "snapshot_event_at" = "last_stripe_event_at"
	WHERE "price_id" IS NOT NULL OR "current_period_end" IS NOT NULL OR "cancel_at_period_end" IS NOT NULL;
