CREATE TABLE "notifications" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "notifications_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"kind" text NOT NULL,
	"order_id" text NOT NULL,
	"recipient" text,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"provider_message_id" text,
	"last_error" text,
	"next_attempt_at" timestamp with time zone DEFAULT now(),
	"claimed_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	CONSTRAINT "notifications_kind_check" CHECK (kind in ('delivered', 'delivery_exception')),
	CONSTRAINT "notifications_status_check" CHECK (status in ('pending', 'sent', 'skipped', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "shipments" (
	"id" text PRIMARY KEY NOT NULL,
	"order_id" text NOT NULL,
	"carrier" text NOT NULL,
	"tracking_number" text NOT NULL,
	"provider" text,
	"status" text DEFAULT 'pending' NOT NULL,
	"status_detail" text,
	"last_checkpoint" jsonb,
	"estimated_delivery_at" timestamp with time zone,
	"delivered_at" timestamp with time zone,
	"exception_reason" text,
	"tracking_url" text,
	"last_event_at" timestamp with time zone,
	"status_event_at" timestamp with time zone,
	"status_event_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "shipments_status_check" CHECK (status in ('pending', 'in_transit', 'delivered', 'exception'))
);
--> statement-breakpoint
ALTER TABLE "webhook_events" DROP CONSTRAINT "webhook_events_status_check";--> statement-breakpoint
-- Hand-written below (issue 10): orders.status becomes a function of two dimensions, the payment
-- (payment_status, what Stripe's events climb) and the parcels (shipping_status, from the shipments).
-- drizzle-kit dropped status before adding the columns it is computed from, and backfilled nothing.
ALTER TABLE "orders" ADD COLUMN "payment_status" text DEFAULT 'pending' NOT NULL;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "shipping_status" text;--> statement-breakpoint
-- An order the shop marked shipped, delivered or delivery_exception keeps that as its shipping status;
-- its payment status is what its money columns say (shipping ranked above a partial refund, so one
-- may hide there; a payment short of the order is a mismatch), else paid: the shop shipped it. Every
-- other status is a payment status. status (generated below) shows each row as it was.
UPDATE "orders" SET
	"payment_status" = CASE
		WHEN "status" NOT IN ('shipped', 'delivered', 'delivery_exception') THEN "status"
		WHEN "amount_refunded" > 0 THEN 'partially_refunded'
		WHEN "paid_at" IS NULL AND "amount_received" IS NOT NULL THEN 'payment_mismatch'
		ELSE 'paid' END,
	"shipping_status" = CASE WHEN "status" IN ('shipped', 'delivered', 'delivery_exception') THEN "status" END;--> statement-breakpoint
ALTER TABLE "orders" DROP CONSTRAINT "orders_status_check";--> statement-breakpoint
ALTER TABLE "orders" DROP COLUMN "status";--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "status" text GENERATED ALWAYS AS (case
	when "shipping_status" is not null and "payment_status" not in ('cancelled', 'refunded', 'charged_back') then "shipping_status"
	else "payment_status" end) STORED NOT NULL;--> statement-breakpoint
ALTER TABLE "webhook_events" ADD COLUMN "next_attempt_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "shipments" ADD CONSTRAINT "shipments_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "notifications_order_id_kind_key" ON "notifications" USING btree ("order_id","kind");--> statement-breakpoint
CREATE INDEX "notifications_pending_idx" ON "notifications" USING btree ("next_attempt_at") WHERE "notifications"."status" = 'pending';--> statement-breakpoint
CREATE UNIQUE INDEX "shipments_carrier_tracking_number_key" ON "shipments" USING btree ("carrier","tracking_number");--> statement-breakpoint
CREATE INDEX "shipments_tracking_number_idx" ON "shipments" USING btree ("tracking_number");--> statement-breakpoint
CREATE INDEX "shipments_order_id_idx" ON "shipments" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "webhook_events_deferred_idx" ON "webhook_events" USING btree ("next_attempt_at") WHERE "webhook_events"."status" = 'deferred';--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_payment_status_check" CHECK (payment_status in ('pending', 'processing', 'cancelled', 'payment_mismatch', 'paid', 'partially_refunded', 'refunded', 'charged_back'));--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_shipping_status_check" CHECK (shipping_status in ('shipped', 'delivered', 'delivery_exception'));--> statement-breakpoint
ALTER TABLE "webhook_events" ADD CONSTRAINT "webhook_events_status_check" CHECK (status in ('received', 'processed', 'ignored', 'unmatched', 'failed', 'dead', 'deferred'));