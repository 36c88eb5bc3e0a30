CREATE TABLE "order_payments" (
	"order_id" text NOT NULL,
	"payment_intent_id" text NOT NULL,
	"charge_id" text,
	CONSTRAINT "order_payments_pkey" PRIMARY KEY("payment_intent_id","order_id")
);
--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "stripe_dispute_status" text;--> statement-breakpoint
CREATE INDEX "order_payments_charge_id_idx" ON "order_payments" USING btree ("charge_id");