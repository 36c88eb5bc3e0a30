/**
 * @module providers/clerk
 * Clerk user sync: user.created / user.updated upsert the user (newest snapshot wins),
 * user.deleted leaves a tombstone and erases the user's personal data from the ledger (src/privacy.ts),
 * from the email messages sent to them (src/domain/email-privacy.ts) and from the notifications of
 * their orders (src/domain/notification-privacy.ts);
 * other types are recorded `ignored`, whatever their shape. Deliveries are signed with Standard Webhooks (Svix);
 * the secret is CLERK_WEBHOOK_SIGNING_SECRET. The event id is the `svix-id` header.
 */
import { eraseEmailPersonalData } from "../../domain/email-privacy";
import { eraseNotificationRecipients } from "../../domain/notification-privacy";
import { tombstoneUser, upsertUser } from "../../domain/users";
import { erasePersonalData } from "../../privacy";
import { unreadable } from "../../validation";
import type { Interpretation, WebhookProvider } from "../../webhooks/provider";
import { verifyWithStandardWebhooks } from "../../webhooks/standard-webhooks-provider";
import { clerkDeletedUser, clerkEnvelope, clerkSubject, clerkType, clerkUser, toUserSnapshot } from "./payload";

const handledTypes = new Set(["user.created", "user.updated", "user.deleted"]);

function interpret(payload: unknown, eventId: string, sentAtSeconds: number): Interpretation {
	const typed = clerkType.safeParse(payload);
	if (!typed.success) return unreadable(eventId, "unknown", typed.error, "envelope: ");
	const { type } = typed.data;
	const subjectUserId = clerkSubject(type, (payload as { data?: unknown }).data);
	if (!handledTypes.has(type)) return { kind: "ignore", eventId, eventType: type, subjectUserId };
	const envelope = clerkEnvelope.safeParse(payload);
	if (!envelope.success) return { ...unreadable(eventId, type, envelope.error, "envelope: "), subjectUserId };
	const { data } = envelope.data;
	// Clerk's envelope carries the event's time. Without it, a snapshot's own updated_at stands in (the
	// signing time differs between attempts, which would make the stored row depend on arrival).
	const { timestamp } = envelope.data;
	switch (type) {
		case "user.created":
		case "user.updated": {
			const user = clerkUser.safeParse(data);
			if (!user.success) return { ...unreadable(eventId, type, user.error), subjectUserId };
			const snapshot = toUserSnapshot(user.data);
			const eventAt = new Date(timestamp ?? user.data.updated_at);
			return {
				kind: "apply",
				eventId,
				eventType: type,
				subjectUserId,
				changes: (db, isNew) => [upsertUser(db, snapshot, { id: eventId, at: eventAt }, isNew)],
			};
		}
		case "user.deleted": {
			const user = clerkDeletedUser.safeParse(data);
			if (!user.success) return { ...unreadable(eventId, type, user.error), subjectUserId };
			const eventAt = new Date(timestamp ?? sentAtSeconds * 1000);
			return {
				kind: "apply",
				eventId,
				eventType: type,
				subjectUserId,
				// The user's email messages first (found through the email the tombstone erases), then the
				// tombstone, then its personal data leaves the ledger: all in the same transaction.
				changes: (db, isNew) => [
					eraseEmailPersonalData(db, user.data.id, isNew),
					eraseNotificationRecipients(db, user.data.id, isNew),
					tombstoneUser(db, user.data.id, { id: eventId, at: eventAt }, isNew),
					erasePersonalData(db, user.data.id, isNew),
				],
			};
		}
		default:
			return { kind: "ignore", eventId, eventType: type, subjectUserId };
	}
}

export const clerk: WebhookProvider = {
	name: "clerk",
	path: "clerk",
	secrets: [
		{
			name: "CLERK_WEBHOOK_SIGNING_SECRET",
			description: "Clerk signing secret(s), whsec_…; several may be given, separated by spaces or commas (rotation)",
		},
	],
	verify: (headers, rawBody, env, nowSeconds) =>
		verifyWithStandardWebhooks(env, "CLERK_WEBHOOK_SIGNING_SECRET", headers, rawBody, nowSeconds),
	interpret: (payload, verified) => interpret(payload, verified.deliveryId as string, verified.sentAt as number),
};
