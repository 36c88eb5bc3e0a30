/**
 * @module validation
 * zod setup shared by every provider: the mini build (small Worker) with English messages, and
 * how a validation failure is described in the ledger and logs: paths and expectations, never values.
 */

import { en } from "zod/locales";
import * as z from "zod/mini";
import type { Interpretation } from "./webhooks/provider";

z.config(en());

/** A short reason for the ledger and logs, e.g. `data.id: Invalid input: expected string, received number`. */
export function describeIssues(error: z.core.$ZodError): string {
	return error.issues
		.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
		.join("; ")
		.slice(0, 500);
}

/** A validly signed event our schema cannot read: recorded as `failed` with the reason, kept for replay. */
export function unreadable(
	eventId: string | undefined,
	eventType: string,
	error: z.core.$ZodError,
	part = "",
): Interpretation {
	return { kind: "fail", eventId, eventType, reason: `${part}${describeIssues(error)}` };
}

/** A string field of a payload that failed validation, if it holds a non-empty string. */
export function claimed(payload: unknown, field: "id" | "type"): string | undefined {
	const value = (payload as Record<string, unknown> | null)?.[field];
	return typeof value === "string" && value ? value : undefined;
}
