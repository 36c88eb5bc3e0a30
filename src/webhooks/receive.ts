/**
 * @module webhooks/receive
 * The receive pipeline shared by every provider: size limit → signature over the raw bytes →
 * JSON → interpretation → ledger row and domain changes in one transaction (one round trip) →
 * answer. 2xx only after the commit; 5xx when nothing could be recorded, so the sender retries.
 * Emits exactly one structured log line per delivery.
 */
import { database } from "../db/client";
import type { WebhookEventStatus } from "../db/schema";
import { recordEvent, recordedByThisTransaction } from "../ledger";
import { describeError, type LogLevel, log } from "../log";
import { sha256Hex } from "../signatures/bytes";
import type { Interpretation, Rejection, WebhookProvider } from "./provider";
import { readBodyWithin } from "./read-body";
import { rejectionResponse } from "./rejections";

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

		const meaning = provider.interpret(payload, verification);
		const eventId = meaning.eventId ?? `sha256:${await sha256Hex(rawBody)}`;
		line.event_type = meaning.eventType;
		line.event_id = eventId;

		const db = database(env.DATABASE_URL);
		const entry = recordEvent(db, {
			provider: provider.name,
			eventId,
			eventType: meaning.eventType,
			status: ledgerStatus[meaning.kind],
			target: meaning.kind === "apply" ? meaning.target : undefined,
			payload: text,
			lastError: meaning.kind === "fail" ? meaning.reason : undefined,
		});
		let results: unknown[][];
		try {
			results = (await db.batch(
				meaning.kind === "apply"
					? [entry, ...meaning.changes(db, recordedByThisTransaction(provider.name, eventId))]
					: [entry],
			)) as unknown[][];
		} catch (error) {
			throw new Rejected("database_unavailable", describeError(error));
		}

		const [recorded, ...changed] = results as [{ status: WebhookEventStatus }[], ...unknown[][]];
		if (recorded.length === 0) return finish("info", "duplicate", json(200, { received: true, outcome: "duplicate" }));
		switch (meaning.kind) {
			case "apply": {
				if (recorded[0]?.status === "unmatched") {
					return finish("warn", "unmatched", json(200, { received: true, outcome: "unmatched" }));
				}
				const outcome = changed.some((rows) => rows.length > 0) ? "applied" : "stale";
				return finish("info", outcome, json(200, { received: true, outcome }));
			}
			case "ignore":
				return finish("info", "ignored", json(200, { received: true, outcome: "ignored" }));
			case "fail":
				return finish("error", "failed", json(200, { received: true, outcome: "failed" }), { reason: meaning.reason });
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

function publicError(rejection: Rejection) {
	return { error: rejection, message: rejectionResponse(rejection).message };
}
