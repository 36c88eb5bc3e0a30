/**
 * @module providers/clerk/payload
 * zod schemas for the parts of Clerk's webhook events we read, and their mapping to a user
 * snapshot. Everything else in the payload is kept in the ledger but not interpreted.
 */
import { z } from "zod";
import type { UserSnapshot } from "../../domain/users";

/** Clerk's event envelope; `timestamp` is in milliseconds. */
export const clerkEnvelope = z.object({
	type: z.string().min(1),
	timestamp: z.number().int().nonnegative().optional(),
	data: z.unknown(),
});

const emailAddress = z.object({
	id: z.string(),
	email_address: z.string(),
	verification: z.object({ status: z.string() }).nullish(),
});

/** `data` of user.created / user.updated (times in milliseconds). */
export const clerkUser = z.object({
	id: z.string().min(1),
	email_addresses: z.array(emailAddress),
	primary_email_address_id: z.string().nullish(),
	first_name: z.string().nullish(),
	last_name: z.string().nullish(),
	username: z.string().nullish(),
	image_url: z.string().nullish(),
	created_at: z.number().int().nonnegative(),
	updated_at: z.number().int().nonnegative(),
});

/** `data` of user.deleted. */
export const clerkDeletedUser = z.object({
	id: z.string().min(1),
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

/** A zod error as a short reason for the ledger and logs: paths and expectations, never values. */
export function describeIssues(error: z.ZodError): string {
	return error.issues
		.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
		.join("; ")
		.slice(0, 500);
}
