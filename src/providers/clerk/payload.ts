/**
 * @module providers/clerk/payload
 * zod schemas for the parts of Clerk's webhook events we read, and their mapping to a user
 * snapshot. Everything else in the payload is kept in the ledger but not interpreted.
 * zod/mini keeps the Worker small (the classic API adds ~90 KiB gzipped); see ../../validation.ts.
 */
import * as z from "zod/mini";
import type { UserSnapshot } from "../../domain/users";

/** Clerk's event envelope; `timestamp` is in milliseconds. */
export const clerkEnvelope = z.object({
	type: z.string().check(z.minLength(1)),
	timestamp: z.optional(z.int().check(z.nonnegative())),
	data: z.unknown(),
});

const emailAddress = z.object({
	id: z.string(),
	email_address: z.string(),
	verification: z.nullish(z.object({ status: z.string() })),
});

/** `data` of user.created / user.updated (times in milliseconds). */
export const clerkUser = z.object({
	id: z.string().check(z.minLength(1)),
	email_addresses: z.array(emailAddress),
	primary_email_address_id: z.nullish(z.string()),
	first_name: z.nullish(z.string()),
	last_name: z.nullish(z.string()),
	username: z.nullish(z.string()),
	image_url: z.nullish(z.string()),
	created_at: z.int().check(z.nonnegative()),
	updated_at: z.int().check(z.nonnegative()),
});

/** `data` of user.deleted. */
export const clerkDeletedUser = z.object({
	id: z.string().check(z.minLength(1)),
	deleted: z.literal(true),
});

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
