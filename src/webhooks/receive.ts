/**
 * @module webhooks/receive
 * The HTTP side of the pipeline shared by every provider: size limit → signature over the raw bytes →
 * JSON → apply (webhooks/apply.ts: every event's ledger row and changes in one transaction, one round
 * trip) → answer. 2xx only after the commit, or once the verified delivery is queued (202 `queued`)
 * because the database is unreachable; 503 only when it could not be queued either. Anything
 * deterministic is recorded `failed` and answered 200. Emits one structured log line per event (one
 * for a delivery refused before its events were read).
 */
import { describeError, type LogLevel, log } from "../log";
import { enqueueApply } from "../queue/enqueue";
import { type Applied, applyDeliveries, type EventOutcome, type EventResult, eventKeys } from "./apply";
import type { Rejection, WebhookProvider } from "./provider";
import { readBodyWithin } from "./read-body";
import { rejectionResponse } from "./rejections";

/** How a delivery ended, as logged and as answered. */
export type Outcome = EventOutcome | "queued" | "rejected";

export interface Delivery {
	request: Request;
	env: Env;
	/** The verifier's clock, unix seconds. */
	nowSeconds: number;
	requestId: string;
}

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
	const common = { provider: provider.name };
	const line = (level: LogLevel, fields: Record<string, unknown>) =>
		log(level, "webhook", {
			...common,
			...fields,
			duration_ms: Date.now() - started,
			request_id: delivery.requestId,
		});
	let deliveryId: string | null = null;

	try {
		const { request, env } = delivery;
		const rawBody = await readBodyWithin(request);
		if (!rawBody) throw new Rejected("payload_too_large", { detail: "body over 1 MiB" });

		const verified = await provider.verify(request.headers, rawBody, env, delivery.nowSeconds, new URL(request.url));
		if (!verified.ok) throw new Rejected(verified.rejection, { detail: verified.detail });
		deliveryId = verified.deliveryId ?? null;

		let text: string;
		let payload: unknown;
		try {
			text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(rawBody);
			payload = JSON.parse(text);
		} catch {
			throw new Rejected("malformed_json", { detail: "the verified body is not UTF-8 JSON" });
		}

		const [applied] = (await applyDeliveries([{ provider, env, text, payload, verified }], env)) as [Applied];
		if (!applied.ok) {
			if (applied.replayed) throw new Rejected("replayed_signature", { detail: "nonce seen before" });
			const queued = await enqueueApply(env, provider, text, verified, delivery.requestId);
			if (!queued.ok)
				throw new Rejected("database_unavailable", { ...describeError(applied.transient), queue: queued.reason });
			const response = json(202, { received: true, outcome: "queued" });
			for (const event of await eventKeys({ provider, env, text, payload, verified }))
				line("warn", {
					event_type: event.eventType,
					event_id: event.eventId,
					outcome: "queued",
					status: 202,
					reason: "database_unavailable",
					...describeError(applied.transient),
				});
			return response;
		}
		const response = json(200, answer(applied.events));
		for (const event of applied.events)
			line(event.level, {
				event_type: event.eventType,
				event_id: event.eventId,
				outcome: event.outcome,
				status: 200,
				...event.fields,
			});
		if (applied.events.length === 0)
			line("info", { event_type: null, event_id: deliveryId, outcome: "ignored", status: 200, reason: "no_events" });
		return response;
	} catch (error) {
		const fields = { event_type: null, event_id: deliveryId, outcome: "rejected" };
		if (error instanceof Rejected) {
			const { status } = rejectionResponse(error.rejection);
			line(status >= 500 ? "error" : "warn", { ...fields, status, reason: error.rejection, ...error.logFields });
			return json(status, publicError(error.rejection));
		}
		line("error", { ...fields, status: 500, reason: "internal_error", ...describeError(error) });
		return json(500, { error: "internal_error", message: "Unexpected error; retry later." });
	}
}

/**
 * The answer's body: `{received, outcome}` for one event; for a batch, the outcome they share (else
 * `mixed`), how many events and how many of each outcome.
 */
function answer(events: EventResult[]): Record<string, unknown> {
	if (events.length === 1) return { received: true, outcome: events[0]?.outcome };
	const outcomes: Partial<Record<EventOutcome, number>> = {};
	for (const { outcome } of events) outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
	const kinds = Object.keys(outcomes);
	return {
		received: true,
		outcome: kinds.length === 1 ? kinds[0] : events.length === 0 ? "ignored" : "mixed",
		events: events.length,
		outcomes,
	};
}

function publicError(rejection: Rejection) {
	return { error: rejection, message: rejectionResponse(rejection).message };
}
