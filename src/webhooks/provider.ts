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
 * Something an operator must act on, raised by a new event (never by a duplicate): the delivery's one
 * log line gets `alert: name` and `fields` (ids, statuses and amounts only), at `level` or above.
 */
export interface Alert {
	name: "payment_mismatch" | "dispute";
	level: "warn" | "error";
	fields: Record<string, string | number | null>;
	/** A query run after the changes, in the same transaction: its first row's columns join `fields`. */
	lookup?: (db: Database, isNewEvent: SQL) => Change;
	/** Raise the alert only when `lookup` returns a row. */
	onlyIfFound?: boolean;
}

/** What every interpretation may say about the event. */
interface About {
	/** The provider's id for the event; undefined when the body is too broken to carry one. */
	eventId: string | undefined;
	eventType: string;
	/** The shop user the event is about (an id, or an SQL scalar that finds it): see src/privacy.ts. */
	subjectUserId?: string | SQL | undefined;
}

/**
 * What a verified event means for us. When `eventId` is undefined the pipeline keys the event by its
 * body's digest. Only the shape of a type we handle can make an event `fail`: a type we do not
 * handle is `ignore`, whatever its shape.
 */
export type Interpretation =
	| (About & {
			kind: "apply";
			changes: ChangeBuilder;
			/** When the event is about a row that must already exist (an order): true when it does. */
			target?: SQL;
			alert?: Alert;
	  })
	| (About & { kind: "ignore" /** Why a handled type is ignored, for the log (no payload values). */; reason?: string })
	| (About & { kind: "fail"; reason: string });

export interface WebhookProvider {
	/** The path segment (`/api/webhooks/<name>`) and the ledger's `provider` value. */
	readonly name: string;
	verify(headers: Headers, rawBody: Uint8Array, env: Env, nowSeconds: number): Promise<Verification>;
	/** Reads a verified event (never throws on its content; a throw is recorded as `failed`). `env` holds settings. */
	interpret(payload: unknown, verified: Extract<Verification, { ok: true }>, env: Env): Interpretation;
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
