/**
 * @module webhooks/receive
 * The receive pipeline shared by every provider: size limit → signature over the raw bytes →
 * JSON → interpretation → ledger row and domain changes in one transaction (one round trip) →
 * answer. 2xx only after the commit. A verified event is never answered 5xx for a reason that a
 * retry would meet again: only transient failures (db/errors.ts) are 503 with nothing written;
 * anything deterministic (content Postgres refuses, our code throwing) is recorded `failed`, logged
 * at error and answered 200, replayable. Emits exactly one structured log line per delivery.
 */
import { database } from "../db/client";
import { isTransient, refusalReason } from "../db/errors";
import type { WebhookEventStatus } from "../db/schema";
import { type LedgerEntry, type Recorded, recordEvent, recordedByThisTransaction } from "../ledger";
import { describeError, type LogLevel, log } from "../log";
import { eraseIfSubjectDeleted } from "../privacy";
import { sha256Hex } from "../signatures/bytes";
import { claimed } from "../validation";
import type { Alert, Interpretation, Rejection, Verification, WebhookProvider } from "./provider";
import { readBodyWithin } from "./read-body";
import { rejectionResponse } from "./rejections";
import { isStorableText, ledgerBody, toStorableText } from "./storable";

/** How a delivery ended, as logged and as answered. */
export type Outcome = "applied" | "stale" | "unmatched" | "duplicate" | "ignored" | "failed" | "rejected";

export interface Delivery {
	request: Request;
	env: Env;
	/** The verifier's clock, unix seconds. */
	nowSeconds: number;
	requestId: string;
}

const ledgerStatus: Record<Interpretation["kind"], WebhookEventStatus> = {
	apply: "processed",
	ignore: "ignored",
	fail: "failed",
};

/** Ends a delivery early; `logFields` add the cause to the log line (never to the answer). */
class Rejected extends Error {
	constructor(
		readonly rejection: Rejection,
		readonly logFields: Record<string, unknown>,
	) {
		super(rejection);
	}
}

function json(status: number, body: unknown): Response {
	return Response.json(body, { status });
}

/** Verifies, records and applies one delivery. Never throws: every failure becomes an answer. */
export async function receiveWebhook(provider: WebhookProvider, delivery: Delivery): Promise<Response> {
	const started = Date.now();
	const line: Record<string, unknown> = { provider: provider.name, event_type: null, event_id: null };
	const finish = (level: LogLevel, outcome: Outcome, response: Response, extra: Record<string, unknown> = {}) => {
		log(level, "webhook", {
			...line,
			outcome,
			status: response.status,
			duration_ms: Date.now() - started,
			request_id: delivery.requestId,
			...extra,
		});
		return response;
	};

	try {
		const { request, env } = delivery;
		const rawBody = await readBodyWithin(request);
		if (!rawBody) throw new Rejected("payload_too_large", { detail: "body over 1 MiB" });

		const verification = await provider.verify(request.headers, rawBody, env, delivery.nowSeconds);
		if (!verification.ok) throw new Rejected(verification.rejection, { detail: verification.detail });
		line.event_id = verification.deliveryId ?? null;

		let text: string;
		let payload: unknown;
		try {
			text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(rawBody);
			payload = JSON.parse(text);
		} catch {
			throw new Rejected("malformed_json", { detail: "the verified body is not UTF-8 JSON" });
		}

		const meaning = interpretSafely(provider, payload, verification, env);
		const eventId = (await ledgerKey(meaning.eventId)) ?? `sha256:${await sha256Hex(rawBody)}`;
		// cut first, then clean: a cut may split a surrogate pair
		const eventType = toStorableText(meaning.eventType.slice(0, MAX_KEY_LENGTH));
		line.event_type = eventType;
		line.event_id = eventId;

		const db = database(env.DATABASE_URL);
		const entry: LedgerEntry = {
			provider: provider.name,
			eventId,
			eventType,
			status: ledgerStatus[meaning.kind],
			target: meaning.kind === "apply" ? meaning.target : undefined,
			body: ledgerBody(text, payload),
			lastError: meaning.kind === "fail" ? meaning.reason : undefined,
			subjectUserId: meaning.subjectUserId,
		};
		// An event about nobody in particular has no personal data to erase: no statement for it.
		const erasure = entry.subjectUserId === undefined ? [] : [eraseIfSubjectDeleted(db, provider.name, eventId)];
		const isNew = recordedByThisTransaction(provider.name, eventId);
		const changes = meaning.kind === "apply" ? meaning.changes(db, isNew) : [];
		// run after the changes, in the same transaction: it sees what they did
		const alertLookup = meaning.kind === "apply" ? meaning.alert?.lookup?.(db, isNew) : undefined;
		let results: unknown[][];
		try {
			results = (await db.batch([
				recordEvent(db, entry),
				...erasure,
				...changes,
				...(alertLookup ? [alertLookup] : []),
			])) as unknown[][];
		} catch (error) {
			if (isTransient(error)) throw new Rejected("database_unavailable", describeError(error));
			// Deterministic: the same event would fail the same way on every retry. Record it as failed
			// (replayable) in a statement that cannot refuse it, and answer 200 so the sender stops.
			const reason = refusalReason(error);
			let recorded: Recorded[];
			try {
				[recorded] = (await db.batch([
					recordEvent(db, {
						...entry,
						status: "failed",
						target: undefined,
						lastError: reason,
						body: ledgerBody(text, payload, true),
					}),
					...erasure,
				])) as [Recorded[], ...unknown[]];
			} catch (fallbackError) {
				throw new Rejected("database_unavailable", {
					...describeError(fallbackError),
					first_error: describeError(error),
				});
			}
			if (recorded.length === 0)
				return finish("info", "duplicate", json(200, { received: true, outcome: "duplicate" }));
			return finish("error", "failed", json(200, { received: true, outcome: "failed" }), {
				reason,
				attempt: recorded[0]?.attempts,
				...describeError(error),
			});
		}

		const [recorded, ...rest] = results as [Recorded[], ...unknown[][]];
		const changed = rest.slice(erasure.length, erasure.length + changes.length);
		if (recorded.length === 0) return finish("info", "duplicate", json(200, { received: true, outcome: "duplicate" }));
		const attempt = recorded[0]?.attempts ?? 1;
		const attemptField = attempt > 1 ? { attempt } : {};
		switch (meaning.kind) {
			case "apply": {
				const alert = raisedAlert(meaning.alert, alertLookup && rest.at(-1));
				const level = (usual: LogLevel): LogLevel =>
					alert && severity[alert.level] > severity[usual] ? alert.level : usual;
				const fields = { ...attemptField, ...alert?.fields };
				if (recorded[0]?.status === "unmatched") {
					return finish(level("warn"), "unmatched", json(200, { received: true, outcome: "unmatched" }), fields);
				}
				const outcome = changed.some((rows) => Array.isArray(rows) && rows.length > 0) ? "applied" : "stale";
				return finish(level("info"), outcome, json(200, { received: true, outcome }), fields);
			}
			case "ignore":
				return finish("info", "ignored", json(200, { received: true, outcome: "ignored" }), {
					...attemptField,
					...(meaning.reason ? { reason: meaning.reason } : {}),
				});
			case "fail":
				return finish("error", "failed", json(200, { received: true, outcome: "failed" }), {
					...attemptField,
					reason: meaning.reason,
				});
		}
	} catch (error) {
		if (error instanceof Rejected) {
			const { status } = rejectionResponse(error.rejection);
			const level = status >= 500 ? "error" : "warn";
			return finish(level, "rejected", json(status, publicError(error.rejection)), {
				reason: error.rejection,
				...error.logFields,
			});
		}
		return finish(
			"error",
			"rejected",
			json(500, { error: "internal_error", message: "Unexpected error; retry later." }),
			{
				reason: "internal_error",
				...describeError(error),
			},
		);
	}
}

const severity: Record<LogLevel, number> = { info: 0, warn: 1, error: 2 };

/**
 * The alert a new event raises, as log fields (`alert` first), or undefined: the lookup's first row
 * joins its fields, and an alert `onlyIfFound` is raised only when there is one.
 */
function raisedAlert(
	alert: Alert | undefined,
	lookupRows: unknown,
): { level: LogLevel; fields: Record<string, unknown> } | undefined {
	if (!alert) return undefined;
	const found = Array.isArray(lookupRows) ? (lookupRows[0] as Record<string, unknown> | undefined) : undefined;
	if (alert.onlyIfFound && !found) return undefined;
	return { level: alert.level, fields: { alert: alert.name, ...alert.fields, ...found } };
}

/** Ledger keys longer than this (or holding what Postgres cannot store) are replaced by their digest. */
const MAX_KEY_LENGTH = 255;

/** The ledger's key for an event id: the id itself, or `id-sha256:<hex>` when a btree index or text cannot hold it. */
async function ledgerKey(id: string | undefined): Promise<string | undefined> {
	if (id === undefined) return undefined;
	if (id.length <= MAX_KEY_LENGTH && isStorableText(id)) return id;
	return `id-sha256:${await sha256Hex(new TextEncoder().encode(id))}`;
}

/**
 * The provider's reading of the event. Our code throwing on a signed event (a time it cannot turn into
 * a Date, say) is deterministic: the event is recorded `failed`, never answered as an outage.
 */
function interpretSafely(
	provider: WebhookProvider,
	payload: unknown,
	verification: Extract<Verification, { ok: true }>,
	env: Env,
): Interpretation {
	try {
		return provider.interpret(payload, verification, env);
	} catch (error) {
		return {
			kind: "fail",
			eventId: verification.deliveryId ?? claimed(payload, "id"),
			eventType: claimed(payload, "type") ?? "unknown",
			reason: `internal error while reading the event: ${error instanceof Error ? error.name : typeof error}`,
		};
	}
}

function publicError(rejection: Rejection) {
	return { error: rejection, message: rejectionResponse(rejection).message };
}
