/**
 * @module webhooks/provider
 * What a provider module supplies to the shared receive pipeline: how to verify a delivery and how
 * to read a verified event into a ledger entry plus the domain statements it applies.
 */
import type { SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Database } from "../db/client";

/** Why a delivery was refused before anything was recorded. */
export type Rejection =
	| "payload_too_large"
	| "missing_signature_headers"
	| "invalid_signature_timestamp"
	| "signature_mismatch"
	| "timestamp_outside_tolerance"
	| "malformed_json"
	| "not_configured"
	| "database_unavailable";

export type Verification =
	| { ok: true; deliveryId?: string; sentAt?: number }
	| { ok: false; rejection: Rejection; detail: string };

/** A statement that returns at least one row when it changed the shop's data. */
export type Change = BatchItem<"pg">;

/**
 * The statements an event applies. `isNewEvent` is a condition that holds only when this delivery
 * recorded the event (not a duplicate): every statement must change nothing unless it holds.
 */
export type ChangeBuilder = (db: Database, isNewEvent: SQL) => [Change, ...Change[]];

/**
 * What a verified event means for us. `eventId` is the provider's id for the event; when a body is
 * too broken to carry one, leave it undefined and the pipeline keys the event by its body's digest.
 */
export type Interpretation =
	| {
			kind: "apply";
			eventId: string;
			eventType: string;
			changes: ChangeBuilder;
			/** When the event is about a row that must already exist (an order): true when it does. */
			target?: SQL;
	  }
	| { kind: "ignore"; eventId: string; eventType: string }
	| { kind: "fail"; eventId: string | undefined; eventType: string; reason: string };

export interface WebhookProvider {
	/** The path segment (`/api/webhooks/<name>`) and the ledger's `provider` value. */
	readonly name: string;
	verify(headers: Headers, rawBody: Uint8Array, env: Env, nowSeconds: number): Promise<Verification>;
	interpret(payload: unknown, verified: Extract<Verification, { ok: true }>): Interpretation;
}

/** Env variables that hold signing secrets. */
export type SecretName = "CLERK_WEBHOOK_SIGNING_SECRET" | "STRIPE_WEBHOOK_SECRET";

/** Runs `verify` with the named secret setting; an endpoint whose secret is unset is `not_configured`. */
export function withSecret(
	env: Env,
	name: SecretName,
	verify: (setting: string) => Promise<Verification>,
): Promise<Verification> {
	const setting = env[name];
	if (!setting?.trim())
		return Promise.resolve({ ok: false, rejection: "not_configured", detail: `${name} is not set` });
	return verify(setting);
}
