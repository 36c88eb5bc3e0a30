/**
 * @module providers/clerk
 * Clerk user sync: user.created / user.updated upsert the user (newest snapshot wins),
 * user.deleted leaves a tombstone. Deliveries are signed with Standard Webhooks (Svix);
 * the secret is CLERK_WEBHOOK_SIGNING_SECRET. The event id is the `svix-id` header.
 */
import { tombstoneUser, upsertUser } from "../../domain/users";
import { claimed, unreadable } from "../../validation";
import type { Interpretation, WebhookProvider } from "../../webhooks/provider";
import { verifyWithStandardWebhooks } from "../../webhooks/standard-webhooks-provider";
import { clerkDeletedUser, clerkEnvelope, clerkUser, toUserSnapshot } from "./payload";

function interpret(payload: unknown, eventId: string, sentAtSeconds: number): Interpretation {
	const envelope = clerkEnvelope.safeParse(payload);
	if (!envelope.success)
		return unreadable(eventId, claimed(payload, "type") ?? "unknown", envelope.error, "envelope: ");
	const { type, data } = envelope.data;
	const eventAt = new Date(envelope.data.timestamp ?? sentAtSeconds * 1000);
	switch (type) {
		case "user.created":
		case "user.updated": {
			const user = clerkUser.safeParse(data);
			if (!user.success) return unreadable(eventId, type, user.error);
			const snapshot = toUserSnapshot(user.data);
			return {
				kind: "apply",
				eventId,
				eventType: type,
				changes: (db, isNew) => [upsertUser(db, snapshot, eventAt, isNew)],
			};
		}
		case "user.deleted": {
			const user = clerkDeletedUser.safeParse(data);
			if (!user.success) return unreadable(eventId, type, user.error);
			return {
				kind: "apply",
				eventId,
				eventType: type,
				changes: (db, isNew) => [tombstoneUser(db, user.data.id, eventAt, isNew)],
			};
		}
		default:
			return { kind: "ignore", eventId, eventType: type };
	}
}

export const clerk: WebhookProvider = {
	name: "clerk",
	verify: (headers, rawBody, env, nowSeconds) =>
		verifyWithStandardWebhooks(env, "CLERK_WEBHOOK_SIGNING_SECRET", headers, rawBody, nowSeconds),
	interpret: (payload, verified) => interpret(payload, verified.deliveryId as string, verified.sentAt as number),
};
