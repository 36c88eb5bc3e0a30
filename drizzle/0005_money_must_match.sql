ALTER TABLE "orders" DROP CONSTRAINT "orders_status_check";--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "amount_received" bigint;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "currency_received" text;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "stripe_charge_id" text;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "stripe_dispute_id" text;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "dispute_status" text;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "disputed_amount" bigint;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "dispute_reason" text;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "dispute_event_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "dispute_event_id" text;--> statement-breakpoint
CREATE INDEX "orders_stripe_charge_id_idx" ON "orders" USING btree ("stripe_charge_id");--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_dispute_status_check" CHECK (dispute_status in ('needs_response', 'under_review', 'won', 'lost'));--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_status_check" CHECK (status in ('pending', 'processing', 'paid', 'payment_mismatch', 'cancelled', 'refunded', 'partially_refunded', 'charged_back', 'shipped', 'delivered', 'delivery_exception'));