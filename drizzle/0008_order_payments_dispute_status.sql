CREATE TABLE "order_payments" (
	"order_id" text NOT NULL,
	"payment_intent_id" text NOT NULL,
	"charge_id" text,
	CONSTRAINT "order_payments_pkey" PRIMARY KEY("payment_intent_id","order_id")
);
--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "stripe_dispute_status" text;--> statement-breakpoint
CREATE INDEX "order_payments_charge_id_idx" ON "order_payments" USING btree ("charge_id");--> statement-breakpoint
-- Hand-written below (issue 8): a charge recorded on an order before this table existed still finds it.
INSERT INTO "order_payments" ("order_id", "payment_intent_id", "charge_id")
	SELECT "id", coalesce("stripe_payment_intent_id", "stripe_checkout_payment_intent_id"), "stripe_charge_id" FROM "orders"
	WHERE "stripe_charge_id" IS NOT NULL AND coalesce("stripe_payment_intent_id", "stripe_checkout_payment_intent_id") IS NOT NULL
	ON CONFLICT DO NOTHING;
