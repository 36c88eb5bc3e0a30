/**
 * Deliveries that must not be applied: bad or missing signatures, stale timestamps, oversized or
 * malformed bodies, and a database that cannot record them. Each is answered with a clear status,
 * a JSON body without secrets or stack traces, one log line, and nothing written.
 */
import { env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clerkRequest, uniqueId, userEvent } from "../support/clerk";
import { deliver, webhookLine } from "../support/deliver";
import { withoutQueue } from "../support/queue";
import { refuseUserWrites } from "../support/refuse";
import { ledgerRows, userRow } from "../support/rows";
import { clerkSecret } from "../support/secrets";
import { unreachableDatabaseUrl } from "../support/unreachable";

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const MINUTE = 60_000;

function withHeaders(request: Request, change: (headers: Headers) => void): Request {
	const headers = new Headers(request.headers);
	change(headers);
	return new Request(request, { headers });
}

async function expectNothingWritten(eventId: string, userId: string) {
	expect(await ledgerRows("clerk", eventId)).toHaveLength(0);
	expect(await userRow(userId)).toBeUndefined();
}

describe("refused before anything is written", () => {
	const cases: [string, (userId: string, eventId: string) => Request | Promise<Request>, number, string][] = [
		[
			"missing signature header",
			(u, id) => withHeaders(clerkRequest(userEvent("user.created", u, T0), { id }), (h) => h.delete("svix-signature")),
			401,
			"missing_signature_headers",
		],
		[
			"no headers at all",
			() => new Request("http://shop.test/api/webhooks/clerk", { method: "POST", body: "{}" }),
			401,
			"missing_signature_headers",
		],
		[
			"signed with a secret we do not hold",
			(u, id) =>
				clerkRequest(userEvent("user.created", u, T0), { id, secret: `whsec_${btoa("someone else's secret")}` }),
			401,
			"signature_mismatch",
		],
		[
			"body changed after signing",
			async (u, id) => {
				const signed = clerkRequest(userEvent("user.created", u, T0), { id });
				const body = (await signed.text()).replace("Jane", "Mallory");
				return new Request(signed, { body });
			},
			401,
			"signature_mismatch",
		],
		[
			"timestamp 10 minutes old (a replay)",
			(u, id) => clerkRequest(userEvent("user.created", u, T0), { id, at: new Date(Date.now() - 10 * MINUTE) }),
			401,
			"timestamp_outside_tolerance",
		],
		[
			"timestamp 10 minutes ahead",
			(u, id) => clerkRequest(userEvent("user.created", u, T0), { id, at: new Date(Date.now() + 10 * MINUTE) }),
			401,
			"timestamp_outside_tolerance",
		],
		[
			"non-numeric timestamp",
			(u, id) =>
				withHeaders(clerkRequest(userEvent("user.created", u, T0), { id }), (h) => h.set("svix-timestamp", "soon")),
			401,
			"invalid_signature_timestamp",
		],
		[
			"body over 1 MiB, even validly signed",
			(u, id) => {
				const event = userEvent("user.created", u, T0) as { data: Record<string, unknown> };
				event.data.padding = "x".repeat(1024 * 1024);
				return clerkRequest(event, { id });
			},
			413,
			"payload_too_large",
		],
		[
			"malformed JSON, validly signed",
			(_, id) => clerkRequest('{"type": "user.created", ', { id }),
			400,
			"malformed_json",
		],
	];

	it.each(cases)("%s → %i", async (_, build, status, reason) => {
		const userId = uniqueId("user");
		const eventId = uniqueId("msg");
		const delivered = await deliver(await build(userId, eventId));

		expect(delivered.status).toBe(status);
		expect(delivered.body).toEqual({ error: reason, message: expect.any(String) });
		expect(webhookLine(delivered)).toMatchObject({ provider: "clerk", outcome: "rejected", status, reason });
		expect(JSON.stringify(delivered.body)).not.toMatch(/at .*\.(ts|js):\d+/);
		expect(delivered.logText + JSON.stringify(delivered.body)).not.toContain(clerkSecret.slice(6));
		await expectNothingWritten(eventId, userId);
	});

	it("a body of exactly 1 MiB is not too large", async () => {
		const eventId = uniqueId("msg");
		const body = `"${"a".repeat(1024 * 1024 - 2)}"`;
		const delivered = await deliver(clerkRequest(body, { id: eventId }));
		expect(delivered.status).toBe(200);
		expect(await ledgerRows("clerk", eventId)).toMatchObject([{ status: "failed" }]);
	});
});

describe("when the database cannot record the event and no queue can take it", () => {
	it("answers 503 so Clerk retries, with a generic message and the cause in the log only", async () => {
		const unreachable = withoutQueue({ ...env, DATABASE_URL: unreachableDatabaseUrl });
		const eventId = uniqueId("msg");
		const userId = uniqueId("user");
		const delivered = await deliver(clerkRequest(userEvent("user.created", userId, T0), { id: eventId }), unreachable);

		expect(delivered.status).toBe(503);
		expect(delivered.body).toEqual({
			error: "database_unavailable",
			message: "The event could not be recorded; retry later.",
		});
		expect(webhookLine(delivered)).toMatchObject({
			level: "error",
			outcome: "rejected",
			reason: "database_unavailable",
			error: expect.stringContaining("Error connecting to database"),
		});
		await expectNothingWritten(eventId, userId);
	});

	describe("and fails halfway through", () => {
		const doomedUser = uniqueId("user_doomed");
		let stopRefusing: () => Promise<void>;
		beforeAll(async () => {
			// On the second statement of the batch (the users write), in a transient class:
			// 40001 serialization_failure, which a retry can outlive.
			stopRefusing = await refuseUserWrites("fail_doomed_user", doomedUser, "40001");
		});
		afterAll(() => stopRefusing());

		it("answers 503 and leaves no ledger row behind, so a retry applies it whole", async () => {
			const eventId = uniqueId("msg");
			const delivered = await deliver(
				clerkRequest(userEvent("user.created", doomedUser, T0), { id: eventId }),
				withoutQueue(),
			);
			expect(delivered.status).toBe(503);
			expect(webhookLine(delivered)).toMatchObject({ reason: "database_unavailable", error_code: "40001" });
			await expectNothingWritten(eventId, doomedUser);
		});
	});
});
