/**
 * POST /api/webhooks/clerk through the Worker's fetch handler, against the test database:
 * the answer, the users row, the ledger row and the log line, for every case a Clerk user hits.
 */
import { env } from "cloudflare:test";
import docsExample from "@fixtures/payloads/clerk/user.created.clerk-docs-example.json";
import { describe, expect, it } from "vitest";
import { clerkRequest, uniqueId, userDeletedEvent, userEvent } from "../support/clerk";
import { deliver, webhookLine } from "../support/deliver";
import { ledgerRows, userRow } from "../support/rows";
import { clerkPreviousSecret, clerkSecret } from "../support/secrets";

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);

describe("user.created", () => {
	it("creates the user, records the event and logs one line without personal data", async () => {
		const userId = uniqueId("user");
		const event = userEvent("user.created", userId, T0);
		const request = clerkRequest(event, { id: uniqueId("msg") });
		const eventId = request.headers.get("svix-id") as string;

		const delivered = await deliver(request);

		expect(delivered.status).toBe(200);
		expect(delivered.body).toEqual({ received: true, outcome: "applied" });
		expect(await userRow(userId)).toEqual({
			id: userId,
			email: "jane.doe@example.com",
			emailVerified: true,
			firstName: "Jane",
			lastName: "Doe",
			username: null,
			imageUrl: "https://img.clerk.com/eyJ0eXBlIjoiZGVmYXVsdCJ9",
			createdAt: new Date(event.data.created_at),
			updatedAt: new Date(T0),
			deletedAt: null,
			lastEventAt: new Date(event.timestamp),
			lastEventId: eventId,
			stripeCustomerId: null,
			emailStatus: null,
		});
		const [ledger] = await ledgerRows("clerk", eventId);
		expect(ledger).toMatchObject({ eventType: "user.created", status: "processed", attempts: 1, lastError: null });
		expect(ledger?.processedAt).toBeInstanceOf(Date);
		expect(ledger?.payload).toEqual(event);

		const line = webhookLine(delivered);
		expect(line).toMatchObject({
			level: "info",
			provider: "clerk",
			event_type: "user.created",
			event_id: eventId,
			outcome: "applied",
			status: 200,
		});
		expect(line.duration_ms).toEqual(expect.any(Number));
		expect(line.request_id).toEqual(expect.any(String));
		for (const secretOrPersonal of ["jane.doe@example.com", "Jane", "Doe", clerkSecret.slice(6)]) {
			expect(delivered.logText).not.toContain(secretOrPersonal);
		}
	});

	it("accepts Clerk's documented example payload (no event_attributes, username null)", async () => {
		const event = structuredClone(docsExample);
		event.data.id = uniqueId("user");
		const delivered = await deliver(clerkRequest(event));
		expect(delivered.status).toBe(200);
		expect(await userRow(event.data.id)).toMatchObject({ email: "example@example.org", firstName: "Example" });
	});

	it("accepts unbranded webhook-* headers", async () => {
		const userId = uniqueId("user");
		const delivered = await deliver(clerkRequest(userEvent("user.created", userId, T0), { headerPrefix: "webhook" }));
		expect(delivered.status).toBe(200);
		expect(await userRow(userId)).toMatchObject({ id: userId });
	});
});

describe("user.updated", () => {
	it("replaces the user with the newer snapshot, including a new primary email", async () => {
		const userId = uniqueId("user");
		await deliver(clerkRequest(userEvent("user.created", userId, T0)));
		const delivered = await deliver(clerkRequest(userEvent("user.updated", userId, T0 + 60_000)));
		expect(delivered.body).toEqual({ received: true, outcome: "applied" });
		expect(await userRow(userId)).toMatchObject({
			email: "jane@work.example.org",
			firstName: "Janet",
			lastName: "Doe-Smith",
			updatedAt: new Date(T0 + 60_000),
		});
	});

	it("arriving before user.created: the later-arriving older snapshot changes nothing", async () => {
		const userId = uniqueId("user");
		const first = await deliver(clerkRequest(userEvent("user.updated", userId, T0 + 60_000)));
		const late = await deliver(clerkRequest(userEvent("user.created", userId, T0)));
		expect(first.body.outcome).toBe("applied");
		expect(late.status).toBe(200);
		expect(late.body.outcome).toBe("stale");
		expect(webhookLine(late).outcome).toBe("stale");
		expect(await userRow(userId)).toMatchObject({ firstName: "Janet", updatedAt: new Date(T0 + 60_000) });
		expect(await ledgerRows("clerk", webhookLine(late).event_id as string)).toHaveLength(1);
	});
});

describe("user.deleted", () => {
	it("leaves a tombstone without personal data", async () => {
		const userId = uniqueId("user");
		await deliver(clerkRequest(userEvent("user.created", userId, T0)));
		const delivered = await deliver(clerkRequest(userDeletedEvent(userId, T0 + 120_000)));
		expect(delivered.body.outcome).toBe("applied");
		expect(await userRow(userId)).toMatchObject({
			id: userId,
			deletedAt: new Date(T0 + 120_000),
			email: null,
			emailVerified: null,
			firstName: null,
			lastName: null,
			username: null,
			imageUrl: null,
		});
	});

	it("is not undone by a late user.updated, even a newer-looking one", async () => {
		const userId = uniqueId("user");
		await deliver(clerkRequest(userEvent("user.created", userId, T0)));
		await deliver(clerkRequest(userDeletedEvent(userId, T0 + 120_000)));
		const late = await deliver(clerkRequest(userEvent("user.updated", userId, T0 + 60_000)));
		const later = await deliver(clerkRequest(userEvent("user.updated", userId, T0 + 999_000)));
		expect([late.body.outcome, later.body.outcome]).toEqual(["stale", "stale"]);
		expect(await userRow(userId)).toMatchObject({ deletedAt: new Date(T0 + 120_000), email: null, firstName: null });
	});

	it("arriving first leaves a tombstone that a late user.created cannot revive", async () => {
		const userId = uniqueId("user");
		await deliver(clerkRequest(userDeletedEvent(userId, T0 + 120_000)));
		const late = await deliver(clerkRequest(userEvent("user.created", userId, T0)));
		expect(late.body.outcome).toBe("stale");
		expect(await userRow(userId)).toMatchObject({ deletedAt: new Date(T0 + 120_000), email: null });
	});
});

describe("duplicates and other types", () => {
	it("the same svix-id twice: 200, one ledger row, the user unchanged", async () => {
		const userId = uniqueId("user");
		const eventId = uniqueId("msg");
		const first = await deliver(clerkRequest(userEvent("user.created", userId, T0), { id: eventId }));
		const before = await userRow(userId);
		const again = await deliver(clerkRequest(userEvent("user.created", userId, T0), { id: eventId }));
		expect(first.body.outcome).toBe("applied");
		expect(again.status).toBe(200);
		expect(again.body).toEqual({ received: true, outcome: "duplicate" });
		expect(webhookLine(again)).toMatchObject({ outcome: "duplicate", event_id: eventId });
		expect(await userRow(userId)).toEqual(before);
		expect(await ledgerRows("clerk", eventId)).toHaveLength(1);
	});

	it("a replayed svix-id with a different body changes nothing either", async () => {
		const userId = uniqueId("user");
		const eventId = uniqueId("msg");
		await deliver(clerkRequest(userEvent("user.created", userId, T0), { id: eventId }));
		const replay = await deliver(clerkRequest(userEvent("user.updated", userId, T0 + 1), { id: eventId }));
		expect(replay.body.outcome).toBe("duplicate");
		expect(await userRow(userId)).toMatchObject({ firstName: "Jane", updatedAt: new Date(T0) });
	});

	it("a Clerk type we do not handle: 200 and recorded as ignored", async () => {
		const eventId = uniqueId("msg");
		const event = { type: "session.created", object: "event", timestamp: T0, data: { id: uniqueId("sess") } };
		const delivered = await deliver(clerkRequest(event, { id: eventId }));
		expect(delivered.status).toBe(200);
		expect(delivered.body.outcome).toBe("ignored");
		expect(await ledgerRows("clerk", eventId)).toMatchObject([{ status: "ignored", eventType: "session.created" }]);
	});

	it("a validly signed event our schema cannot read: 200, recorded as failed with the reason, logged as an error", async () => {
		const eventId = uniqueId("msg");
		const event = userEvent("user.created", uniqueId("user"), T0) as { data: Record<string, unknown> };
		delete event.data.id;
		event.data.updated_at = "yesterday";
		const delivered = await deliver(clerkRequest(event, { id: eventId }));
		expect(delivered.status).toBe(200);
		expect(delivered.body.outcome).toBe("failed");
		const [ledger] = await ledgerRows("clerk", eventId);
		expect(ledger).toMatchObject({ status: "failed", eventType: "user.created", processedAt: null });
		expect(ledger?.lastError).toMatch(/^id: .*; updated_at: /);
		expect(ledger?.payload).toEqual(event);
		expect(webhookLine(delivered)).toMatchObject({ level: "error", outcome: "failed", reason: ledger?.lastError });
		expect(delivered.logText).not.toContain("yesterday");
	});

	it("a body without Clerk's envelope is recorded as failed too", async () => {
		const eventId = uniqueId("msg");
		const delivered = await deliver(clerkRequest({ hello: "world" }, { id: eventId }));
		expect(delivered.body.outcome).toBe("failed");
		expect(await ledgerRows("clerk", eventId)).toMatchObject([{ status: "failed", eventType: "unknown" }]);
	});
});

describe("secrets", () => {
	it("accepts a delivery signed with the previous secret during rotation", async () => {
		const userId = uniqueId("user");
		const delivered = await deliver(
			clerkRequest(userEvent("user.created", userId, T0), { secret: clerkPreviousSecret }),
		);
		expect(delivered.status).toBe(200);
		expect(await userRow(userId)).toMatchObject({ id: userId });
	});

	it("accepts secrets separated by commas", async () => {
		const userId = uniqueId("user");
		const bindings = { ...env, CLERK_WEBHOOK_SIGNING_SECRET: `whsec_${btoa("other")},${clerkSecret}` };
		const delivered = await deliver(clerkRequest(userEvent("user.created", userId, T0)), bindings);
		expect(delivered.status).toBe(200);
	});

	it("answers 500 and records nothing when no secret is configured, so Clerk retries", async () => {
		const eventId = uniqueId("msg");
		const bindings = { ...env, CLERK_WEBHOOK_SIGNING_SECRET: "" };
		const delivered = await deliver(
			clerkRequest(userEvent("user.created", uniqueId("user"), T0), { id: eventId }),
			bindings,
		);
		expect(delivered.status).toBe(500);
		expect(delivered.body.error).toBe("not_configured");
		expect(webhookLine(delivered)).toMatchObject({ level: "error", reason: "not_configured" });
		expect(await ledgerRows("clerk", eventId)).toHaveLength(0);
	});
});
