/**
 * Concurrent deliveries, as Svix sends them (no ordering, duplicates, retries in parallel). Against
 * the real PostgreSQL server in CI these run in parallel transactions; on PGlite they serialise.
 */
import { expect, it } from "vitest";
import { clerkRequest, uniqueId, userDeletedEvent, userEvent } from "../support/clerk";
import { deliverAll } from "../support/deliver";
import { ledgerRows, userRow } from "../support/rows";

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);

/** Deterministic shuffle, so a failure can be reproduced. */
function shuffled<T>(items: T[], seed: number): T[] {
	const out = [...items];
	let state = seed;
	for (let i = out.length - 1; i > 0; i--) {
		state = (state * 1103515245 + 12345) % 2 ** 31;
		const j = state % (i + 1);
		[out[i], out[j]] = [out[j] as T, out[i] as T];
	}
	return out;
}

it("twelve snapshots and their duplicates at once: the newest wins, each event is recorded once", async () => {
	const userId = uniqueId("user");
	const events = Array.from({ length: 12 }, (_, n) => ({
		id: uniqueId("msg"),
		event: userEvent(n === 0 ? "user.created" : "user.updated", userId, T0 + n * 1000),
	}));
	const requests = shuffled(
		events.flatMap(({ id, event }) => [clerkRequest(event, { id }), clerkRequest(event, { id })]),
		7,
	);

	const statuses = await deliverAll(requests);

	expect(statuses).toEqual(requests.map(() => 200));
	expect(await userRow(userId)).toMatchObject({ updatedAt: new Date(T0 + 11_000), deletedAt: null });
	for (const { id } of events) expect(await ledgerRows("clerk", id)).toHaveLength(1);
});

it("a deletion racing updates always ends as a tombstone", async () => {
	const userId = uniqueId("user");
	const requests = shuffled(
		[
			clerkRequest(userEvent("user.created", userId, T0)),
			...Array.from({ length: 6 }, (_, n) => clerkRequest(userEvent("user.updated", userId, T0 + (n + 1) * 1000))),
			clerkRequest(userDeletedEvent(userId, T0 + 3500)),
		],
		11,
	);

	const statuses = await deliverAll(requests);

	expect(statuses.every((s) => s === 200)).toBe(true);
	expect(await userRow(userId)).toMatchObject({ deletedAt: new Date(T0 + 3500), email: null, firstName: null });
});
