/**
 * Cost and interoperability: every Clerk event is one HTTP request to the database endpoint (one
 * transaction), and the signed deliveries in the shared vectors pass through the real endpoint.
 */
import { describe, expect, it } from "vitest";
import { clerkRequest, uniqueId, userDeletedEvent, userEvent } from "../support/clerk";
import { deliver } from "../support/deliver";
import { ledgerRows } from "../support/rows";
import { deliverVector, svixVectors } from "../support/vectors";

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);

describe("database round trips", () => {
	const userId = uniqueId("user");
	const duplicateId = uniqueId("msg");
	const sequence: [string, () => Request][] = [
		["user.created", () => clerkRequest(userEvent("user.created", userId, T0), { id: duplicateId })],
		["the same delivery again", () => clerkRequest(userEvent("user.created", userId, T0), { id: duplicateId })],
		["user.updated", () => clerkRequest(userEvent("user.updated", userId, T0 + 1000))],
		["an older user.updated (stale)", () => clerkRequest(userEvent("user.updated", userId, T0 + 500))],
		["user.deleted", () => clerkRequest(userDeletedEvent(userId, T0 + 2000))],
		["an ignored type", () => clerkRequest({ type: "email.created", timestamp: T0, data: {} })],
		["an unreadable user", () => clerkRequest({ type: "user.created", timestamp: T0, data: { id: 7 } })],
	];

	it.each(sequence)("%s costs exactly one request", async (_, build) => {
		const delivered = await deliver(build());
		expect(delivered.status).toBe(200);
		expect(delivered.databaseRequests).toHaveLength(1);
		expect(delivered.databaseRequests[0]).toMatch(/^http:\/\/localhost:\d+\/sql$/);
	});
});

describe("shared svix vectors through POST /api/webhooks/clerk", () => {
	const clerkVectors = svixVectors.filter((v) => v.description.startsWith("Clerk "));

	it("has the Clerk vectors", () => {
		expect(clerkVectors.length).toBe(5);
	});

	it.each(clerkVectors.map((v) => [v.description, v] as const))("%s", async (_, vector) => {
		const delivered = await deliverVector(vector, "/api/webhooks/clerk", "CLERK_WEBHOOK_SIGNING_SECRET");
		expect(delivered.status).toBe(vector.expected_valid ? 200 : 401);
		const recorded = await ledgerRows("clerk", vector.headers["svix-id"] as string);
		if (vector.expected_valid) expect(recorded.map((r) => r.status)).toEqual(["processed"]);
	});
});
