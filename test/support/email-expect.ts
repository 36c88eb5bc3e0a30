/**
 * Assertions the email acceptance tests (test/integration/email-*.test.ts) share, imported as
 * `import * as expectEmail from "../support/email-expect"` (`expectEmail.applied(…)`): what a request's
 * answer, log lines and rows must be when an event is applied, refused, a duplicate or unreadable.
 * Each is a plain run of `expect`s (nothing is skipped or softened), so a test that calls one fails
 * exactly where it failed when the assertions were written out in it.
 */
import { expect, it } from "vitest";
import { type Delivered, webhookLine } from "./deliver";
import { anEmailAddress, emptyMessage, type MessageRow, messagesIn, suppressionsIn, writtenUnder } from "./email";

/** An example payloads folder as `import.meta.glob` gives it: path → payload. */
export type ExamplePayloads = Record<string, unknown>;

const fileName = (path: string) => path.slice(path.lastIndexOf("/") + 1);

/** The example payloads as `[file name, payload]` pairs, for `it.each`. */
export const examplePayloads = (fixtures: ExamplePayloads) =>
	Object.entries(fixtures).map(([path, fixture]) => [fileName(path), fixture] as const);

/**
 * Registers the test "has an expectation for every example payload": the example payloads' file names
 * and the keys of `expectations` are the same (so no example goes unchecked, no expectation unused).
 */
export function itHasAnExpectationForEveryExample(
	fixtures: ExamplePayloads,
	expectations: Record<string, unknown>,
): void {
	it("has an expectation for every example payload", () => {
		expect(Object.keys(fixtures).map(fileName).sort()).toEqual(Object.keys(expectations).sort());
	});
}

/**
 * Expects a single event applied: answered 200 `{received: true, outcome: "applied"}` in one database
 * request, its webhook line at info naming the provider, the event type and id (outcome applied,
 * status 200), and no email address in anything logged.
 */
export function applied(delivered: Delivered, event: { provider: string; eventType: unknown; eventId: unknown }): void {
	expect(delivered.status).toBe(200);
	expect(delivered.body).toEqual({ received: true, outcome: "applied" });
	expect(delivered.databaseRequests).toHaveLength(1);
	expect(webhookLine(delivered)).toMatchObject({
		level: "info",
		provider: event.provider,
		event_type: event.eventType,
		event_id: event.eventId,
		outcome: "applied",
		status: 200,
	});
	expect(delivered.logText).not.toMatch(anEmailAddress);
}

/**
 * Expects namespace `ns` to hold exactly one message: `emptyMessage` with this provider, id, recipient
 * and status, first and last event at `at`, and then `facts` over it.
 */
export async function onlyMessage(
	ns: string,
	message: { provider: string; providerMessageId: unknown; recipient: string; status: string; at: string },
	facts: Partial<MessageRow>,
): Promise<void> {
	const { provider, providerMessageId, recipient, status, at } = message;
	expect(await messagesIn(ns)).toEqual([
		{
			...emptyMessage,
			provider,
			providerMessageId,
			recipient,
			status,
			firstEventAt: at,
			lastEventAt: at,
			...facts,
		},
	]);
}

/**
 * Expects namespace `ns` to hold the one suppression an event leaves (`reason`, first, last and reason
 * time all `at`, the reason event `eventId`), or none when `reason` is undefined.
 */
export async function suppression(
	ns: string,
	reason: string | undefined,
	suppression: { address: string; provider: string; at: string; eventId: unknown },
): Promise<void> {
	const { address, provider, at, eventId } = suppression;
	expect(await suppressionsIn(ns)).toEqual(
		reason ? [{ address, reason, provider, firstAt: at, lastAt: at, reasonEventAt: at, reasonEventId: eventId }] : [],
	);
}

/**
 * Expects a request refused before the database: answered `status` with `{error}` (among other fields)
 * and no database request.
 */
export function refused(delivered: Delivered, status: number, error: string): void {
	expect(delivered.status).toBe(status);
	expect(delivered.body).toMatchObject({ error });
	expect(delivered.databaseRequests).toEqual([]);
}

/** Expects namespace `ns` to hold no message, suppression or ledger row, and exactly `users` (those the test created). */
export async function nothingWritten(
	ns: string,
	users: { id: string; email: string | null; emailStatus: string | null }[] = [],
): Promise<void> {
	expect(await writtenUnder(ns)).toEqual({ messages: [], suppressions: [], users, ledger: [] });
}

/**
 * Expects a delivery seen before: answered 200 `{received: true, outcome: "duplicate"}` in one database
 * request, and namespace `ns` holding exactly the rows `before` (read after the first delivery).
 */
export async function duplicate(
	again: Delivered,
	ns: string,
	before: Awaited<ReturnType<typeof writtenUnder>>,
): Promise<void> {
	expect(again.status).toBe(200);
	expect(again.body).toEqual({ received: true, outcome: "duplicate" });
	expect(again.databaseRequests).toHaveLength(1);
	expect(await writtenUnder(ns)).toEqual(before);
}

/**
 * Expects a single event we do not handle: answered 200 `{received: true, outcome: "ignored"}` in one
 * database request.
 */
export function ignored(delivered: Delivered): void {
	expect(delivered.status).toBe(200);
	expect(delivered.body).toEqual({ received: true, outcome: "ignored" });
	expect(delivered.databaseRequests).toHaveLength(1);
}

/**
 * Expects a single event that could not be read: answered 200 `{received: true, outcome: "failed"}` in
 * one database request, its webhook line at error, outcome failed, with `line`'s fields and a reason
 * naming `path`. Returns that line (its event id and reason, for the ledger row).
 */
export function unreadable(delivered: Delivered, line: Record<string, unknown>, path: string): Record<string, unknown> {
	expect(delivered.status).toBe(200);
	expect(delivered.body).toEqual({ received: true, outcome: "failed" });
	expect(delivered.databaseRequests).toHaveLength(1);
	const logged = webhookLine(delivered);
	expect(logged).toMatchObject({ level: "error", outcome: "failed", ...line });
	expect(String(logged.reason)).toContain(path);
	return logged;
}

/** Expects none of `texts` (a stored error, the log text) to hold any of `words` or an email address. */
export function noValueQuoted(texts: string[], words: string[]): void {
	for (const text of texts) {
		for (const word of words) expect(text).not.toContain(word);
		expect(text).not.toMatch(anEmailAddress);
	}
}
