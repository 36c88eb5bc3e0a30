/**
 * @module validation
 * zod setup shared by every provider: the mini build (small Worker) with English messages, the
 * string kinds Postgres can store (ids refused, free text cleaned), and how a validation failure is
 * described in the ledger and logs: schema paths and expectations, never a value or a sender's key.
 */

import { en } from "zod/locales";
import * as z from "zod/mini";
import type { Interpretation } from "./webhooks/provider";
import { isStorableText, toStorableText } from "./webhooks/storable";

z.config(en());

/**
 * A path segment as it may appear in a reason: a field name of a provider's schema (snake_case) or an
 * index. Anything else is a key the sender chose (a metadata key such as `buyer@example.org`) and is
 * shown as `[key]`.
 */
function pathSegment(segment: PropertyKey): string {
	if (typeof segment === "number") return String(segment);
	return typeof segment === "string" && /^[a-z][a-z0-9_]{0,39}$/.test(segment) ? segment : "[key]";
}

/** A short reason for the ledger and logs, e.g. `data.id: Invalid input: expected string, received number`. */
export function describeIssues(error: z.core.$ZodError): string {
	return error.issues
		.map((issue) => `${issue.path.map(pathSegment).join(".") || "(root)"}: ${issue.message}`)
		.join("; ")
		.slice(0, 500);
}

/** The check that a string holds nothing Postgres refuses (webhooks/storable.ts). */
const storable = () =>
	z.refine<string>(isStorableText, {
		message: "contains a character Postgres cannot store (NUL or an unpaired surrogate)",
	});

/**
 * An identifier that finds rows (a user, order, payment intent or event id): a value Postgres cannot
 * hold makes the event `failed`, since changing it would name another row.
 */
export const storableId = z.string().check(z.minLength(1), z.maxLength(255), storable());

/** `value` when it is a storable id (see storableId), else undefined: for best-effort reads of a payload. */
export function asStorableId(value: unknown): string | undefined {
	return storableId.safeParse(value).success ? (value as string) : undefined;
}

/** Unix seconds that a Date and a timestamptz both hold: 1970 to 9999-12-31. */
export const unixSeconds = z.int().check(z.nonnegative(), z.lte(253_402_300_799));
/** Unix milliseconds, 1970 to 9999-12-31. */
export const unixMillis = z.int().check(z.nonnegative(), z.lte(253_402_300_799_999));

/** A value that may find a row (a metadata value, at most 500 characters as Stripe allows; may be empty). */
export const storableValue = z.string().check(z.maxLength(500), storable());

/** Free text (a name, a decline message): what Postgres cannot hold is removed (webhooks/storable.ts). */
export const storableText = z.pipe(z.string(), z.transform(toStorableText));

/** A validly signed event our schema cannot read: recorded as `failed` with the reason, kept for replay. */
export function unreadable(
	eventId: string | undefined,
	eventType: string,
	error: z.core.$ZodError,
	part = "",
): Interpretation {
	return { kind: "fail", eventId, eventType, reason: `${part}${describeIssues(error)}` };
}

/** A string field of a payload that failed validation, if it holds a non-empty string (a key may still need hashing). */
export function claimed(payload: unknown, field: "id" | "type"): string | undefined {
	const value = (payload as Record<string, unknown> | null)?.[field];
	return typeof value === "string" && value ? value : undefined;
}
