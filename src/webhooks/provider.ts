/**
 * @module webhooks/provider
 * What a provider module supplies to the shared receive pipeline: how to verify a delivery and how
 * to read a verified event into a ledger entry plus the domain statements it applies.
 */
import type { SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Database } from "../db/client";
import type { Job } from "../queue/jobs";

/** Why a delivery was refused before anything was recorded. */
export type Rejection =
	| "payload_too_large"
	| "missing_signature_headers"
	| "invalid_signature_timestamp"
	| "signature_mismatch"
	| "timestamp_outside_tolerance"
	| "malformed_json"
	| "not_configured"
	| "replayed_signature"
	| "database_unavailable";

export type Verification =
	| {
			ok: true;
			deliveryId?: string;
			sentAt?: number;
			/**
			 * A value the signature covers that must be seen once only (Mailgun's token, whose signature
			 * does not cover the event): the pipeline records it with the delivery, and refuses a second.
			 */
			nonce?: string;
	  }
	| { ok: false; rejection: Rejection; detail: string };

export type Verified = Extract<Verification, { ok: true }>;

/** A statement that returns at least one row when it changed the shop's data. */
export type Change = BatchItem<"pg">;

/**
 * The statements an event applies. `isNewEvent` is a condition that holds only when this delivery
 * recorded the event (not a duplicate): every statement must change nothing unless it holds.
 * `eventKey` is the ledger's key of the event (`webhook_events.event_id`, unique per provider): the
 * provider's id, `id-sha256:<hex>` for one too long to store, `sha256:<hex>` of the body for an event
 * without one (webhooks/apply.ts). What breaks ties between events, or names the event whose values a
 * row holds, must be this key: two events without an id have distinct keys, never the same "".
 */
export type ChangeBuilder = (db: Database, isNewEvent: SQL, eventKey: string) => [Change, ...Change[]];

/**
 * Something an operator must act on, raised by a new event (never by a duplicate): the delivery's one
 * log line gets `alert: name` and `fields` (ids, statuses and amounts only), at `level` or above.
 */
export interface Alert {
	name: "payment_mismatch" | "dispute" | "delivery_exception";
	level: "warn" | "error";
	fields: Record<string, string | number | null>;
	/**
	 * A query run after the changes, in the same transaction: its first row's columns join `fields`.
	 * `isNewEvent` and `eventKey` as for ChangeBuilder.
	 */
	lookup?: (db: Database, isNewEvent: SQL, eventKey: string) => Change;
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
			/**
			 * What happens when `target` is false. By default the event is `unmatched` at once (a redelivery
			 * or a replay runs it again). `defer`: it is recorded `deferred` and a `retry-later` job runs it
			 * again after growing delays (src/ledger.ts `deferDelaysSeconds`); `unmatched` after the last.
			 */
			whenUnmatched?: "defer";
			/**
			 * Jobs to enqueue once the transaction committed, read from the rows its changes returned (in the
			 * order of `changes`); called only for a new event. An enqueue that fails loses nothing: what a
			 * job does is a row first (the cron sweep re-enqueues it).
			 */
			followUps?: (changed: unknown[][]) => Job[];
			alert?: Alert;
	  })
	| (About & { kind: "ignore" /** Why a handled type is ignored, for the log (no payload values). */; reason?: string })
	| (About & { kind: "fail"; reason: string });

/** A secret (or setting) a provider reads from the environment: `wrangler secret put <name>`. */
export interface SecretSpec {
	name: string;
	/** What to put there, for `.dev.vars.example` and the README (one line). */
	description: string;
}

export interface WebhookProvider {
	/** The ledger's `provider` value. */
	readonly name: string;
	/** Where it is served: `/api/webhooks/<path>` (`clerk`, `email/resend`). */
	readonly path: string;
	/** The secrets it reads; unset, its endpoint answers `not_configured` and nothing else needs them. */
	readonly secrets: readonly SecretSpec[];
	/** `url` is the request's, for providers that authenticate with a token in the query string. */
	verify(headers: Headers, rawBody: Uint8Array, env: Env, nowSeconds: number, url: URL): Promise<Verification>;
	/**
	 * Reads a verified body into its events: one for most providers, one per element of a batch
	 * (SendGrid). Never throws on content (a throw is recorded as `failed`). `env` holds settings.
	 */
	interpret(payload: unknown, verified: Verified, env: Env): Interpretation | Interpretation[];
}

/** A setting of the environment by name (secrets a deployment did not set are undefined). */
export function setting(env: Env, name: string): string | undefined {
	const value = (env as unknown as Record<string, unknown>)[name];
	return typeof value === "string" ? value : undefined;
}

/** Runs `verify` with the named secret setting; an endpoint whose secret is unset is `not_configured`. */
export function withSecret(
	env: Env,
	name: string,
	verify: (setting: string) => Promise<Verification>,
): Promise<Verification> {
	const value = setting(env, name);
	if (!value?.trim()) return Promise.resolve({ ok: false, rejection: "not_configured", detail: `${name} is not set` });
	return verify(value);
}
