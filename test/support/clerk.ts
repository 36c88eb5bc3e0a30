/**
 * Test helper: Clerk events built from the example payloads (test/fixtures/payloads), signed with svix (the reference
 * implementation) so our verifier is checked against it, not against itself.
 */

import created from "@fixtures/payloads/clerk/user.created.json";
import deleted from "@fixtures/payloads/clerk/user.deleted.json";
import updated from "@fixtures/payloads/clerk/user.updated.json";
import { Webhook } from "svix";
import { clerkSecret } from "./secrets";

export const clerkFixtures = { created, updated, deleted };

let counter = 0;
/** A unique id, so tests never share rows. */
export function uniqueId(prefix: string): string {
	counter += 1;
	return `${prefix}_${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}${counter}`;
}

/** A user.created / user.updated event for `userId`, with Clerk's `updated_at` set to `updatedAt` (ms). */
export function userEvent(type: "user.created" | "user.updated", userId: string, updatedAt: number) {
	const event = structuredClone(type === "user.created" ? created : updated) as typeof updated;
	event.type = type;
	event.data.id = userId;
	event.data.updated_at = updatedAt;
	event.timestamp = updatedAt + 20;
	return event;
}

export function userDeletedEvent(userId: string, at: number) {
	const event = structuredClone(deleted);
	event.data.id = userId;
	event.timestamp = at;
	return event;
}

export interface SignOptions {
	secret?: string;
	id?: string;
	/** When the provider signed it; defaults to now. */
	at?: Date;
	/** `svix` (Clerk's) or `webhook` (unbranded Standard Webhooks) headers. */
	headerPrefix?: "svix" | "webhook";
}

/** A POST to /api/webhooks/clerk, signed like Clerk signs it. */
export function clerkRequest(body: unknown, options: SignOptions = {}): Request {
	const text = typeof body === "string" ? body : JSON.stringify(body);
	const id = options.id ?? uniqueId("msg");
	const at = options.at ?? new Date();
	const prefix = options.headerPrefix ?? "svix";
	const signature = new Webhook(options.secret ?? clerkSecret).sign(id, at, text);
	return new Request("http://shop.test/api/webhooks/clerk", {
		method: "POST",
		headers: {
			"content-type": "application/json",
			[`${prefix}-id`]: id,
			[`${prefix}-timestamp`]: String(Math.floor(at.getTime() / 1000)),
			[`${prefix}-signature`]: signature,
		},
		body: text,
	});
}
