ALTER TABLE "webhook_events" ADD COLUMN "raw_body" text;--> statement-breakpoint
ALTER TABLE "webhook_events" ADD COLUMN "subject_user_id" text;--> statement-breakpoint
ALTER TABLE "webhook_events" ADD COLUMN "erased_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "webhook_events_subject_user_id_idx" ON "webhook_events" USING btree ("subject_user_id");