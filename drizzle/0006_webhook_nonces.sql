CREATE TABLE "webhook_nonces" (
	"provider" text NOT NULL,
	"nonce" text NOT NULL,
	"seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_nonces_pkey" PRIMARY KEY("provider","nonce")
);
--> statement-breakpoint
CREATE INDEX "webhook_nonces_seen_at_idx" ON "webhook_nonces" USING btree ("seen_at");