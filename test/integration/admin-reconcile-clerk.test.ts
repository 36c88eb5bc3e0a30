/**
 * Clerk reconcile (issue 11, item 2): `POST /api/admin/reconcile/clerk` starts a run whose
 * `clerk-reconcile` jobs page through Clerk's `GET /v1/users` (mocked at the network edge only:
 * test/support/provider-api.ts), through the Worker's real queue() handler, and apply each user as a
 * snapshot: a user missing here is created, an older snapshot updated, a same or newer one left
 * (current), a deleted user's tombstone kept (never resurrected). Pages of 100 follow `offset` until
 * a short page ends the run `done`.
 */
import { describe, expect, it } from "vitest";
import { CLERK_PAGE_SIZE } from "../../src/admin/recovery/clerk-reconcile";
import { clerkFixtures, clerkRequest, uniqueId, userDeletedEvent, userEvent } from "../support/clerk";
import { deliver } from "../support/deliver";
import { mockApi } from "../support/provider-api";
import { consume, JOBS_QUEUE } from "../support/queue";
import { admin, CLERK_KEY, drain, recoveryBindings } from "../support/recovery";
import { userRow } from "../support/rows";

const T = 1_790_000_000_000;

/** A user as Clerk's Backend API lists it (the `data` of a user.updated webhook). */
function clerkUser(id: string, updatedAt: number, firstName = "Ada") {
	const user = structuredClone(clerkFixtures.updated.data) as typeof clerkFixtures.updated.data & {
		first_name: string;
	};
	user.id = id;
	user.first_name = firstName;
	user.created_at = T - 86_400_000;
	user.updated_at = updatedAt;
	return user;
}

/** Serves `users` as Clerk does: `limit` of them from `offset`, in the given (creation) order. */
function clerkServing(users: unknown[]) {
	return mockApi("https://api.clerk.com", (call) => {
		const offset = Number(call.url.searchParams.get("offset") ?? 0);
		const limit = Number(call.url.searchParams.get("limit") ?? 10);
		return Response.json(users.slice(offset, offset + limit));
	});
}

async function startReconcile(bindings: Env) {
	const started = await admin(bindings, "POST", "/reconcile/clerk");
	expect(started.status).toBe(202);
	return started.body.run_id as number;
}

async function run(bindings: Env, id: number) {
	const answer = await admin(bindings, "GET", `/runs/${id}`);
	return answer.body.run as Record<string, unknown>;
}

describe("reconcile", () => {
	it("created, updated, current counted; a tombstone stays; a newer snapshot is kept", async () => {
		const { bindings, queue } = recoveryBindings();
		const ids = {
			current: uniqueId("user"),
			older: uniqueId("user"),
			newer: uniqueId("user"),
			deleted: uniqueId("user"),
		};
		const missing = uniqueId("user");
		// what webhooks told us before the outage
		for (const [id, at] of [
			[ids.current, T],
			[ids.older, T - 1000],
			[ids.newer, T + 5000],
			[ids.deleted, T],
		] as const)
			expect((await deliver(clerkRequest(userEvent("user.updated", id, at)), bindings)).status).toBe(200);
		expect((await deliver(clerkRequest(userDeletedEvent(ids.deleted, T + 10)), bindings)).status).toBe(200);
		const clerk = clerkServing([
			clerkUser(ids.current, T),
			clerkUser(ids.older, T, "Grace"),
			clerkUser(ids.newer, T + 1000, "Stale"),
			clerkUser(ids.deleted, T + 20, "Back"),
			clerkUser(missing, T, "Lin"),
		]);

		const id = await startReconcile(bindings);
		expect(queue.sent).toEqual([{ kind: "clerk-reconcile", runId: id, offset: 0 }]);
		const consumed = await drain(queue, bindings);

		expect(consumed).toHaveLength(1);
		expect(consumed[0]?.value).toMatchObject({ explicitAcks: consumed[0]?.ids, retryMessages: [] });
		expect(await run(bindings, id)).toMatchObject({
			kind: "clerk_reconcile",
			status: "done",
			pages: 1,
			seen: 5,
			created: 1,
			updated: 1,
			current: 3,
			failed: 0,
		});
		expect(await userRow(missing)).toMatchObject({ firstName: "Lin", updatedAt: new Date(T), deletedAt: null });
		expect(await userRow(ids.older)).toMatchObject({ firstName: "Grace", updatedAt: new Date(T) });
		expect(await userRow(ids.newer)).toMatchObject({ updatedAt: new Date(T + 5000) });
		expect((await userRow(ids.newer))?.firstName).not.toBe("Stale");
		expect(await userRow(ids.deleted)).toMatchObject({ deletedAt: new Date(T + 10), firstName: null, email: null });
		// what Clerk was asked: the secret key, oldest first, 100 at a time
		expect(clerk.calls).toHaveLength(1);
		expect(clerk.calls[0]?.url.pathname).toBe("/v1/users");
		expect(clerk.calls[0]?.headers.authorization).toBe(`Bearer ${CLERK_KEY}`);
		expect(Object.fromEntries(clerk.calls[0]?.url.searchParams ?? [])).toEqual({
			limit: "100",
			offset: "0",
			order_by: "+created_at",
		});
		// no personal data, no key in the logs
		const logText = consumed.map((c) => c.logText).join("\n");
		for (const secret of [CLERK_KEY, "Grace", "Lin", "@"]) expect(logText).not.toContain(secret);
	});

	it("pages by offset until a short page; a second run finds every user current", async () => {
		const { bindings, queue } = recoveryBindings();
		const users = Array.from({ length: CLERK_PAGE_SIZE + 3 }, (_, n) => clerkUser(uniqueId("user"), T + n));
		const clerk = clerkServing(users);

		const first = await startReconcile(bindings);
		const consumed = await drain(queue, bindings);

		expect(consumed).toHaveLength(2);
		expect(queue.sent[1]).toEqual({ kind: "clerk-reconcile", runId: first, offset: CLERK_PAGE_SIZE });
		expect(clerk.calls.map((c) => c.url.searchParams.get("offset"))).toEqual(["0", String(CLERK_PAGE_SIZE)]);
		expect(await run(bindings, first)).toMatchObject({
			status: "done",
			pages: 2,
			seen: CLERK_PAGE_SIZE + 3,
			created: CLERK_PAGE_SIZE + 3,
		});
		expect(await userRow(users.at(-1)?.id as string)).toMatchObject({ updatedAt: new Date(T + CLERK_PAGE_SIZE + 2) });

		const second = await startReconcile(bindings);
		await drain(queue, bindings, queue.sent.length - 1);
		expect(await run(bindings, second)).toMatchObject({
			status: "done",
			seen: CLERK_PAGE_SIZE + 3,
			created: 0,
			updated: 0,
			current: CLERK_PAGE_SIZE + 3,
		});
	});

	it("a user Clerk lists in a shape we cannot read is counted failed; the others are applied", async () => {
		const { bindings, queue } = recoveryBindings();
		const good = uniqueId("user");
		const bad = { ...clerkUser(uniqueId("user"), T), updated_at: "yesterday" };
		clerkServing([bad, clerkUser(good, T)]);
		const id = await startReconcile(bindings);
		const consumed = await drain(queue, bindings);
		expect(await run(bindings, id)).toMatchObject({ status: "done", seen: 2, created: 1, failed: 1 });
		expect(await userRow(good)).toMatchObject({ updatedAt: new Date(T) });
		expect(consumed[0]?.logs).toContainEqual(
			expect.objectContaining({ level: "error", message: "recovery", outcome: "user_failed", user_id: bad.id }),
		);
	});
});

describe("Clerk's failures", () => {
	it("a 503 retries the job; a 401 ends the run failed with Clerk's error code", async () => {
		const { bindings, queue } = recoveryBindings();
		mockApi("https://api.clerk.com", (_, n) =>
			n === 1
				? new Response("upstream unavailable", { status: 503 })
				: Response.json(
						{ errors: [{ code: "authentication_invalid", message: "Invalid authentication", long_message: "…" }] },
						{ status: 401 },
					),
		);
		const id = await startReconcile(bindings);

		const first = await consume(JOBS_QUEUE, [{ body: queue.sent[0] }], bindings);
		expect(first.value).toMatchObject({ explicitAcks: [], retryMessages: [{ msgId: first.ids[0] }] });
		expect(await run(bindings, id)).toMatchObject({ status: "running", last_error: "clerk answered 503; retrying" });

		const second = await consume(JOBS_QUEUE, [{ body: queue.sent[0], attempts: 2 }], bindings);
		expect(second.value).toMatchObject({ explicitAcks: second.ids, retryMessages: [] });
		expect(await run(bindings, id)).toMatchObject({
			status: "failed",
			last_error: "clerk answered 401 (authentication_invalid)",
		});
		expect(second.logText).not.toContain(CLERK_KEY);
	});

	it("without CLERK_SECRET_KEY: 409 not_configured, nothing started", async () => {
		const { bindings, queue } = recoveryBindings({ CLERK_SECRET_KEY: undefined });
		const answer = await admin(bindings, "POST", "/reconcile/clerk");
		expect(answer.status).toBe(409);
		expect(answer.body).toMatchObject({ error: "not_configured" });
		expect(queue.sent).toEqual([]);
	});
});
