/**
 * @module webhooks/apply
 * Applies verified deliveries: each event's ledger row and domain changes, for every event of every
 * delivery given, in one `db.batch` (one transaction, one round trip): a live request (one delivery,
 * one or many events) and a batch of queued jobs alike. The trust boundary is behind us: the bodies
 * here were verified. Deterministic failures are recorded `failed` (replayable); a transient one is
 * returned for the caller to queue or answer 503, with nothing written. Once the transaction
 * committed, the jobs it calls for are enqueued (a `retry-later` for each event recorded `deferred`,
 * the interpretation's `followUps` of each new applied event): an enqueue that fails loses nothing,
 * since each job stands for a committed row that the cron sweep (queue/sweep.ts) finds again.
 */
import { database } from "../db/client";
import { isTransient, refusalReason } from "../db/errors";
import type { WebhookEventStatus } from "../db/schema";
import { type LedgerEntry, type Recorded, recordEvent, recordedByThisTransaction } from "../ledger";
import { describeError, type LogLevel, log } from "../log";
import { eraseIfSubjectDeleted } from "../privacy";
import { MAX_DELAY_SECONDS } from "../queue/backoff";
import { type DelayedJob, enqueueJobs } from "../queue/enqueue";
import { sha256Hex } from "../signatures/bytes";
import { claimed } from "../validation";
import { isNonceReplay, recordNonce } from "./nonces";
import type { Alert, Change, Interpretation, Verified, WebhookProvider } from "./provider";
import { isStorableText, ledgerBody, toStorableText } from "./storable";

/**
 * How one event of a delivery ended. `deferred`: about a row that does not exist yet, recorded to run
 * again later (a `retry-later` job is enqueued).
 */
export type EventOutcome = "applied" | "stale" | "deferred" | "unmatched" | "duplicate" | "ignored" | "failed";

/** A verified delivery, as received or as a queued job carries it. */
export interface VerifiedDelivery {
	provider: WebhookProvider;
	env: Env;
	/** The verified body, decoded (UTF-8), and parsed. */
	text: string;
	payload: unknown;
	verified: Verified;
}

/**
 * The `alert` of the log line of every transition to `failed`, `unmatched` or `dead` (at level
 * `error`), stable names for a Workers Logs alert (README, "Alerts"). `deferred` raises none: its last
 * attempt, `unmatched`, does.
 */
export const ledgerAlerts = {
	failed: "webhook_failed",
	unmatched: "webhook_unmatched",
	dead: "webhook_dead",
} as const;

/** One event's result: what to answer and to log (`fields` joins its log line). */
export interface EventResult {
	eventId: string;
	eventType: string;
	outcome: EventOutcome;
	level: LogLevel;
	fields: Record<string, unknown>;
	/** The jobs it calls for once committed (enqueued by applyDeliveries before it returns). */
	jobs?: DelayedJob[];
}

export type Applied =
	| { ok: true; events: EventResult[] }
	/** The signature's nonce was seen before (webhooks/nonces.ts): nothing was written. */
	| { ok: false; replayed: true }
	/** The database could not be reached or refused for a passing reason: nothing was written. */
	| { ok: false; replayed?: false; transient: unknown };

const ledgerStatus: Record<Interpretation["kind"], WebhookEventStatus> = {
	apply: "processed",
	ignore: "ignored",
	fail: "failed",
};

/** Ledger keys longer than this (or holding what Postgres cannot store) are replaced by their digest. */
const MAX_KEY_LENGTH = 255;

/** One event of a delivery, read and keyed (no database needed). */
interface ReadEvent {
	delivery: number;
	meaning: Interpretation;
	entry: LedgerEntry;
	/** A repeat of an earlier event of the same batch: no statements, answered `duplicate`. */
	repeat: boolean;
	text: string;
	payload: unknown;
}

/** One event, ready for the batch. */
interface Prepared extends ReadEvent {
	statements: Change[];
	/** How many of its statements are domain changes, and whether the last one is the alert's lookup. */
	changes: number;
	lookup: boolean;
}

/**
 * Applies every event of `deliveries` in one transaction and returns, per delivery, its events'
 * results (in the order the provider read them). Never throws.
 */
export async function applyDeliveries(deliveries: VerifiedDelivery[], env: Env): Promise<Applied[]> {
	const applied = await applyInOneTransaction(deliveries, env);
	await enqueueFollowUps(applied, env);
	return applied;
}

/**
 * Enqueues the jobs the committed events call for (each with its own delay). Never throws: a failure
 * is one log line, and the cron sweep enqueues the jobs of the rows they stand for.
 */
async function enqueueFollowUps(applied: Applied[], env: Env): Promise<void> {
	const jobs = applied.flatMap((a) => (a.ok ? a.events.flatMap((event) => event.jobs ?? []) : []));
	if (jobs.length === 0) return;
	const enqueued = await enqueueJobs(env, jobs);
	if (enqueued.ok) return;
	const kinds: Record<string, number> = {};
	for (const { job } of jobs) kinds[job.kind] = (kinds[job.kind] ?? 0) + 1;
	log("warn", "follow_up_jobs", {
		outcome: "not_enqueued",
		reason: "enqueue_failed",
		detail: enqueued.reason,
		recovery: "cron sweep",
		jobs: kinds,
		...(enqueued.error ? describeError(enqueued.error) : {}),
	});
}

async function applyInOneTransaction(deliveries: VerifiedDelivery[], env: Env): Promise<Applied[]> {
	const db = database(env.DATABASE_URL);
	let prepared: Prepared[];
	try {
		prepared = await prepare(deliveries, db);
	} catch (error) {
		return deliveries.map(() => ({ ok: false, transient: error }));
	}
	const nonces = deliveries.map((d) => (d.verified.nonce ? recordNonce(db, d.provider.name, d.verified.nonce) : null));
	const nonceStatements = nonces.filter((n) => n !== null);
	const statements: Change[] = [...nonceStatements, ...prepared.flatMap((p) => p.statements)];
	if (statements.length === 0) return deliveries.map((_, i) => ({ ok: true, events: results(prepared, i, []) }));
	try {
		const rows = (await db.batch(statements as [Change, ...Change[]])) as unknown[][];
		const eventRows = rows.slice(nonceStatements.length);
		return deliveries.map((_, i) => ({ ok: true, events: results(prepared, i, eventRows) }));
	} catch (error) {
		if (isTransient(error)) return deliveries.map(() => ({ ok: false, transient: error }));
		// a replayed nonce of the only delivery: nothing to find out one by one
		if (deliveries.length === 1 && isNonceReplay(error)) return [{ ok: false, replayed: true }];
		// Deterministic: one delivery (or one event) is the cause. Each delivery again on its own, each
		// event that still fails recorded `failed`: the others must not pay for it.
		const applied: Applied[] = [];
		for (const i of deliveries.keys()) applied.push(await applyAlone(db, nonces[i] ?? null, prepared, i));
		return applied;
	}
}

/** Reads and keys every event, and builds its statements. */
async function prepare(deliveries: VerifiedDelivery[], db: ReturnType<typeof database>): Promise<Prepared[]> {
	return (await readEvents(deliveries)).map((read) => {
		let event = read;
		let statements = { all: [] as Change[], changes: 0, lookup: false };
		if (!event.repeat) {
			try {
				statements = eventStatements(db, event.entry, event.meaning);
			} catch (error) {
				// our code throwing while building an event's statements is deterministic: recorded `failed`
				event = asFailed(event, `internal error while building the event's changes: ${errorName(error)}`);
				statements = eventStatements(db, event.entry, event.meaning);
			}
		}
		return { ...event, statements: statements.all, changes: statements.changes, lookup: statements.lookup };
	});
}

const errorName = (error: unknown) => (error instanceof Error ? error.name : typeof error);

/** The event, to be recorded `failed` for `reason` instead of applied. */
function asFailed(event: ReadEvent, reason: string): ReadEvent {
	const { eventType, subjectUserId } = event.meaning;
	return {
		...event,
		meaning: { kind: "fail", eventId: event.entry.eventId, eventType, subjectUserId, reason },
		entry: { ...event.entry, status: "failed", target: undefined, lastError: reason },
	};
}

/** The ids and types of a verified delivery's events, as the ledger would key them (for a log line). */
export async function eventKeys(delivery: VerifiedDelivery): Promise<{ eventId: string; eventType: string }[]> {
	return (await readEvents([delivery])).map(({ entry }) => ({ eventId: entry.eventId, eventType: entry.eventType }));
}

/** Reads and keys every event of every delivery, in order; repeats within the deliveries are marked. */
async function readEvents(deliveries: VerifiedDelivery[]): Promise<ReadEvent[]> {
	const seen = new Set<string>();
	const read: ReadEvent[] = [];
	for (const [index, { provider, env, text, payload, verified }] of deliveries.entries()) {
		const meanings = [interpretSafely(provider, payload, verified, env)].flat();
		const many = meanings.length > 1;
		// the body's digest keys the events that carry no id: computed once per delivery, when needed
		let digest: Promise<string> | undefined;
		const bodyDigest = () => {
			digest ??= sha256Hex(new TextEncoder().encode(text));
			return digest;
		};
		for (const [n, meaning] of meanings.entries()) {
			const eventText = many ? JSON.stringify(eventPayload(payload, n)) : text;
			const providerKey = await ledgerKey(meaning.eventId);
			const eventId = providerKey ?? `sha256:${await bodyDigest()}${many ? `:${n}` : ""}`;
			// cut first, then clean: a cut may split a surrogate pair
			const eventType = toStorableText(meaning.eventType.slice(0, MAX_KEY_LENGTH));
			const key = `${provider.name}\u0000${eventId}`;
			const repeat = seen.has(key);
			seen.add(key);
			const eventJson = many ? eventPayload(payload, n) : payload;
			const defer = meaning.kind === "apply" && meaning.whenUnmatched === "defer";
			const body = ledgerBody(eventText, eventJson);
			const entry: LedgerEntry = {
				provider: provider.name,
				eventId,
				eventType,
				status: ledgerStatus[meaning.kind],
				target: meaning.kind === "apply" ? meaning.target : undefined,
				defer,
				// a deferred event runs again from its stored body: keyed by the digest of its text, it keeps
				// the text verbatim (jsonb would re-serialise it, and the retry would key another event)
				body: defer && providerKey === undefined && body.rawBody === null ? { ...body, rawBody: eventText } : body,
				lastError: meaning.kind === "fail" ? meaning.reason : undefined,
				subjectUserId: meaning.subjectUserId,
			};
			read.push({ delivery: index, meaning, entry, repeat, text: eventText, payload: eventJson });
		}
	}
	return read;
}

/** The element of a batch body an event came from (the whole body when it is not an array). */
function eventPayload(payload: unknown, n: number): unknown {
	return Array.isArray(payload) ? payload[n] : payload;
}

/** [record, erasure?, ...changes, lookup?]: the statements of one event. */
function eventStatements(db: ReturnType<typeof database>, entry: LedgerEntry, meaning: Interpretation) {
	// An event about nobody in particular has no personal data to erase: no statement for it.
	const erasure = entry.subjectUserId === undefined ? [] : [eraseIfSubjectDeleted(db, entry.provider, entry.eventId)];
	const isNew = recordedByThisTransaction(entry.provider, entry.eventId);
	// the builders get the event's ledger key, what ties between events are broken by (provider.ts)
	const changes = meaning.kind === "apply" ? meaning.changes(db, isNew, entry.eventId) : [];
	// run after the changes, in the same transaction: it sees what they did
	const lookup = meaning.kind === "apply" ? meaning.alert?.lookup?.(db, isNew, entry.eventId) : undefined;
	return {
		all: [recordEvent(db, entry), ...erasure, ...changes, ...(lookup ? [lookup] : [])],
		changes: changes.length,
		lookup: lookup !== undefined,
	};
}

/** Delivery `index`'s results from the batch's rows (every prepared event's statements, in order). */
function results(prepared: Prepared[], index: number, rows: unknown[][]): EventResult[] {
	const out: EventResult[] = [];
	let at = 0;
	for (const p of prepared) {
		const own = rows.slice(at, at + p.statements.length);
		at += p.statements.length;
		if (p.delivery === index) out.push(p.repeat ? duplicate(p) : resultOf(p, own));
	}
	return out;
}

function duplicate(p: Prepared): EventResult {
	return { eventId: p.entry.eventId, eventType: p.entry.eventType, outcome: "duplicate", level: "info", fields: {} };
}

const severity: Record<LogLevel, number> = { info: 0, warn: 1, error: 2 };

/** What one event's statements returned means: its outcome, level and log fields. */
function resultOf(p: Prepared, rows: unknown[][]): EventResult {
	const [recorded, ...rest] = rows as [Recorded[], ...unknown[][]];
	const { meaning, entry } = p;
	const base = { eventId: entry.eventId, eventType: entry.eventType };
	if (!recorded || recorded.length === 0) return duplicate(p);
	const attempt = recorded[0]?.attempts ?? 1;
	const attemptField = attempt > 1 ? { attempt } : {};
	switch (meaning.kind) {
		case "apply": {
			const erasure = p.statements.length - 1 - p.changes - (p.lookup ? 1 : 0);
			const changed = rest.slice(erasure, erasure + p.changes);
			const alert = raisedAlert(meaning.alert, p.lookup ? rest.at(-1) : undefined);
			const level = (usual: LogLevel): LogLevel =>
				alert && severity[alert.level] > severity[usual] ? alert.level : usual;
			const fields = { ...attemptField, ...alert?.fields };
			const { status, nextAttemptAt } = recorded[0] as Recorded;
			if (status === "deferred") {
				const retryIn = secondsUntil(nextAttemptAt);
				const job = { kind: "retry-later" as const, provider: entry.provider, eventId: entry.eventId };
				return {
					...base,
					outcome: "deferred",
					level: level("info"),
					fields: { ...fields, retry_in_seconds: retryIn },
					jobs: [{ job, delaySeconds: retryIn }],
				};
			}
			if (status === "unmatched") {
				// the row it is about does not exist (a deferred event: never appeared): a person must look.
				// The event's own alert, if any (a dispute of an unknown charge), stays as `domain_alert`.
				const { alert: domainAlert, ...others } = fields as Record<string, unknown>;
				return {
					...base,
					outcome: "unmatched",
					level: "error",
					fields: {
						alert: ledgerAlerts.unmatched,
						...others,
						...(domainAlert === undefined ? {} : { domain_alert: domainAlert }),
					},
				};
			}
			const outcome = changed.some((r) => Array.isArray(r) && r.length > 0) ? "applied" : "stale";
			const jobs = (meaning.followUps?.(changed as unknown[][]) ?? []).map((job) => ({ job, delaySeconds: 0 }));
			return { ...base, outcome, level: level("info"), fields, ...(jobs.length > 0 ? { jobs } : {}) };
		}
		case "ignore":
			return {
				...base,
				outcome: "ignored",
				level: "info",
				fields: { ...attemptField, ...(meaning.reason ? { reason: meaning.reason } : {}) },
			};
		case "fail":
			return {
				...base,
				outcome: "failed",
				level: "error",
				fields: { alert: ledgerAlerts.failed, ...attemptField, reason: meaning.reason },
			};
	}
}

/** Whole seconds from now until `at` (a deferred event's next attempt), within what a queue delay takes. */
function secondsUntil(at: Date | string | null): number {
	const ms = at === null ? 0 : new Date(at).getTime() - Date.now();
	return Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil((Number.isFinite(ms) ? ms : 0) / 1000)));
}

/**
 * Delivery `index` alone, after the shared batch failed deterministically: each of its events in its
 * own batch; one that fails again is recorded `failed` in a statement that cannot refuse it.
 */
async function applyAlone(
	db: ReturnType<typeof database>,
	nonce: Change | null,
	prepared: Prepared[],
	index: number,
): Promise<Applied> {
	const events: EventResult[] = [];
	let pendingNonce = nonce;
	for (const p of prepared.filter((q) => q.delivery === index)) {
		if (p.repeat) {
			events.push(duplicate(p));
			continue;
		}
		const first = pendingNonce ? [pendingNonce] : [];
		try {
			const rows = (await db.batch([...first, ...p.statements] as [Change, ...Change[]])) as unknown[][];
			pendingNonce = null;
			events.push(resultOf(p, rows.slice(first.length)));
		} catch (error) {
			if (isNonceReplay(error)) return { ok: false, replayed: true };
			if (isTransient(error)) return { ok: false, transient: error };
			const reason = refusalReason(error);
			const entry = { ...p.entry, status: "failed" as const, target: undefined, lastError: reason };
			const failed: LedgerEntry = { ...entry, body: ledgerBody(p.text, p.payload, true) };
			const erasure =
				p.entry.subjectUserId === undefined ? [] : [eraseIfSubjectDeleted(db, failed.provider, failed.eventId)];
			try {
				const rows = (await db.batch([...first, recordEvent(db, failed), ...erasure] as [
					Change,
					...Change[],
				])) as unknown[][];
				pendingNonce = null;
				const recorded = rows[first.length] as Recorded[];
				if (recorded.length === 0) events.push(duplicate(p));
				else
					events.push({
						eventId: p.entry.eventId,
						eventType: p.entry.eventType,
						outcome: "failed",
						level: "error",
						fields: {
							alert: ledgerAlerts.failed,
							reason,
							...(recorded[0] && recorded[0].attempts > 1 ? { attempt: recorded[0].attempts } : {}),
							...describeError(error),
						},
					});
			} catch (fallbackError) {
				if (isNonceReplay(fallbackError)) return { ok: false, replayed: true };
				return { ok: false, transient: fallbackError };
			}
		}
	}
	return { ok: true, events };
}

/** How the ledger records one event of a dead letter (see recordDeadLetters). */
export interface DeadLetterEvent {
	eventId: string;
	eventType: string;
	/**
	 * `dead`: recorded dead now (applying it would have changed the shop's data); `ignored`/`failed`:
	 * recorded as applying it records it (it changes nothing); `duplicate`: the ledger already had it
	 * processed or ignored and keeps it; `refused`: the database refuses even its skeleton (`reason`).
	 */
	outcome: "dead" | "ignored" | "failed" | "duplicate" | "refused";
	/** The ledger's attempt count, when this call recorded one. */
	attempts?: number;
	/** Why a `failed` event failed, or why a `refused` one could not be recorded. */
	reason?: string;
}

export type DeadLettersRecorded =
	| { ok: true; events: DeadLetterEvent[] }
	/** Nothing was written; `events` as the provider reads them, for the log. */
	| { ok: false; transient: unknown; events: Pick<DeadLetterEvent, "eventId" | "eventType">[] };

/**
 * Records the events of deliveries that will not be applied (jobs whose retries ran out) in one
 * `db.batch`: an event that would change the shop's data becomes `dead` with `lastError` and its
 * payload, an ignored or failing one is recorded as a live delivery records it. The ledger's guard
 * holds: an event already `processed` or `ignored` stays so; a `failed`, `unmatched` or `dead` one
 * becomes `dead` (a new attempt, the last error replaced), and a redelivery runs it again. No domain
 * statement runs, no nonce is recorded. Per delivery, in order; never throws.
 */
export async function recordDeadLetters(
	deliveries: VerifiedDelivery[],
	env: Env,
	lastError: string,
): Promise<DeadLettersRecorded[]> {
	const db = database(env.DATABASE_URL);
	let read: ReadEvent[];
	try {
		read = await readEvents(deliveries);
	} catch (error) {
		return deliveries.map(() => ({ ok: false, transient: error, events: [] }));
	}
	/** Its ledger row (none for a duplicate) or why the database refused it, per event written. */
	const recorded = new Map<ReadEvent, Recorded | null | string>();
	const fresh = read.filter((event) => !event.repeat);
	const statements = (event: ReadEvent, force = false): Change[] => {
		const entry = deadEntry(event, lastError);
		const body = force ? ledgerBody(event.text, event.payload, true) : entry.body;
		const erasure = entry.subjectUserId === undefined ? [] : [eraseIfSubjectDeleted(db, entry.provider, entry.eventId)];
		return [recordEvent(db, { ...entry, body }), ...erasure];
	};
	const unwritten = (error: unknown): DeadLettersRecorded[] =>
		deliveries.map((_, d) => ({
			ok: false,
			transient: error,
			events: read
				.filter((e) => e.delivery === d)
				.map(({ entry }) => ({ eventId: entry.eventId, eventType: entry.eventType })),
		}));
	if (fresh.length > 0) {
		const each = fresh.map((event) => statements(event));
		try {
			const rows = (await db.batch(each.flat() as [Change, ...Change[]])) as unknown[][];
			let at = 0;
			for (const [n, event] of fresh.entries()) {
				recorded.set(event, (rows[at] as Recorded[])[0] ?? null);
				at += each[n]?.length ?? 0;
			}
		} catch (error) {
			if (isTransient(error)) return unwritten(error);
			// Deterministic: each event alone, its payload as a copy that jsonb holds.
			for (const event of fresh) {
				try {
					const [rows] = (await db.batch(statements(event, true) as [Change, ...Change[]])) as [Recorded[]];
					recorded.set(event, rows[0] ?? null);
				} catch (aloneError) {
					if (isTransient(aloneError)) return unwritten(aloneError);
					recorded.set(event, refusalReason(aloneError));
				}
			}
		}
	}
	return deliveries.map((_, d) => ({
		ok: true,
		events: read.filter((event) => event.delivery === d).map((event) => deadLetterEvent(event, recorded.get(event))),
	}));
}

/** What the ledger now says of a dead letter's event: its row, none (a duplicate), or a refusal. */
function deadLetterEvent(event: ReadEvent, recorded: Recorded | null | string | undefined): DeadLetterEvent {
	const base = { eventId: event.entry.eventId, eventType: event.entry.eventType };
	if (typeof recorded === "string") return { ...base, outcome: "refused", reason: recorded };
	if (!recorded) return { ...base, outcome: "duplicate" };
	const { status, attempts } = recorded;
	if (status === "dead" || status === "ignored") return { ...base, outcome: status, attempts };
	return {
		...base,
		outcome: "failed",
		attempts,
		...(event.meaning.kind === "fail" ? { reason: event.meaning.reason } : {}),
	};
}

/** The ledger entry of a dead letter's event: `dead` with `lastError` when it would apply changes. */
function deadEntry(event: ReadEvent, lastError: string): LedgerEntry {
	if (event.meaning.kind !== "apply") return event.entry;
	return { ...event.entry, status: "dead", target: undefined, lastError };
}

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

/** The ledger's key for an event id: the id itself, or `id-sha256:<hex>` when a btree index or text cannot hold it. */
async function ledgerKey(id: string | undefined): Promise<string | undefined> {
	if (id === undefined) return undefined;
	if (id.length <= MAX_KEY_LENGTH && isStorableText(id)) return id;
	return `id-sha256:${await sha256Hex(new TextEncoder().encode(id))}`;
}

/**
 * The provider's reading of the body. Our code throwing on a signed event (a time it cannot turn into
 * a Date, say) is deterministic: the event is recorded `failed`, never answered as an outage.
 */
function interpretSafely(
	provider: WebhookProvider,
	payload: unknown,
	verified: Verified,
	env: Env,
): Interpretation | Interpretation[] {
	try {
		return provider.interpret(payload, verified, env);
	} catch (error) {
		return {
			kind: "fail",
			eventId: verified.deliveryId ?? claimed(payload, "id"),
			eventType: claimed(payload, "type") ?? "unknown",
			reason: `internal error while reading the event: ${errorName(error)}`,
		};
	}
}
