/** GET /health: what a load balancer or a developer checks first. */
import { env } from "cloudflare:test";
import { expect, it } from "vitest";
import { deliver } from "../support/deliver";
import { unreachableDatabaseUrl } from "../support/unreachable";

it("answers 200 with the database up", async () => {
	const delivered = await deliver(new Request("http://shop.test/health"));
	expect(delivered.status).toBe(200);
	expect(delivered.body).toEqual({ ok: true, database: "up" });
});

it("answers 503 when the database is unreachable, with the cause in the log only", async () => {
	const delivered = await deliver(new Request("http://shop.test/health"), {
		...env,
		DATABASE_URL: unreachableDatabaseUrl,
	});
	expect(delivered.status).toBe(503);
	expect(delivered.body).toEqual({ ok: false, database: "down" });
	expect(delivered.databaseRequests).toEqual(["http://localhost:9/sql"]); // through the driver, to the network
	expect(delivered.logs).toEqual([
		{
			level: "error",
			message: "health check failed",
			error: expect.stringContaining("Error connecting to database"),
			error_class: "NeonDbError",
		},
	]);
});

it("answers unknown routes and providers with a JSON 404", async () => {
	const unknownProvider = await deliver(
		new Request("http://shop.test/api/webhooks/acme", { method: "POST", body: "{}" }),
	);
	expect(unknownProvider.status).toBe(404);
	expect(unknownProvider.body.error).toBe("unknown_provider");
	const unknownRoute = await deliver(new Request("http://shop.test/nope"));
	expect(unknownRoute.status).toBe(404);
});
