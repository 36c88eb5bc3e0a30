/**
 * @module providers/clerk/payload
 * zod schemas for the parts of Clerk's webhook events we read, and their mapping to a user
 * snapshot. Everything else in the payload is kept in the ledger but not interpreted.
 * zod/mini keeps the Worker small (the classic API adds ~90 KiB gzipped); see ../../validation.ts.
 */
import * as z from "zod/mini";
import type { UserSnapshot } from "../../domain/users";
import { asStorableId, storableId, storableText, unixMillis } from "../../validation";

/** The first thing read: the event's type. Only a type we handle has its shape checked. */
export const clerkType = z.object({ type: z.string().check(z.minLength(1)) });

/** Clerk's event envelope; `timestamp` is in milliseconds. */
export const clerkEnvelope = z.object({
	type: z.string(),
	timestamp: z.optional(unixMillis),
	data: z.unknown(),
});

const emailAddress = z.object({
	id: z.string(),
	email_address: storableText,
	verification: z.nullish(z.object({ status: z.string() })),
});

/** `data` of user.created / user.updated (times in milliseconds). */
export const clerkUser = z.object({
	id: storableId,
	email_addresses: z.array(emailAddress),
	primary_email_address_id: z.nullish(z.string()),
	first_name: z.nullish(storableText),
	last_name: z.nullish(storableText),
	username: z.nullish(storableText),
	image_url: z.nullish(storableText),
	created_at: unixMillis,
	updated_at: unixMillis,
});

/** `data` of user.deleted. */
export const clerkDeletedUser = z.object({
	id: storableId,
	deleted: z.literal(true),
});

/** The user an event is about, for the ledger: `data.id` of a user event, else `data.user_id` (sessions). */
export function clerkSubject(type: string, data: unknown): string | undefined {
	const fields = (data ?? {}) as Record<string, unknown>;
	const id = type.startsWith("user.") ? fields.id : fields.user_id;
	return asStorableId(id);
}

export function toUserSnapshot(user: z.infer<typeof clerkUser>): UserSnapshot {
	const primary = user.email_addresses.find((address) => address.id === user.primary_email_address_id);
	return {
		id: user.id,
		email: primary?.email_address ?? null,
		emailVerified: primary ? primary.verification?.status === "verified" : null,
		firstName: user.first_name ?? null,
		lastName: user.last_name ?? null,
		username: user.username ?? null,
		imageUrl: user.image_url ?? null,
		createdAt: new Date(user.created_at),
		updatedAt: new Date(user.updated_at),
	};
}
