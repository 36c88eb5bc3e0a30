/**
 * @module app
 * The Hono app: health check and `/api/webhooks/:provider`, routed to provider modules.
 * One onError turns anything unexpected into a generic 500 (details to the logs only).
 */
import { sql } from "drizzle-orm";
import { Hono } from "hono";
import { database } from "./db/client";
import { describeError, log } from "./log";
import { clerk } from "./providers/clerk";
import { stripe } from "./providers/stripe";
import type { WebhookProvider } from "./webhooks/provider";
import { receiveWebhook } from "./webhooks/receive";

const providers: Record<string, WebhookProvider> = { [clerk.name]: clerk, [stripe.name]: stripe };

export const app = new Hono<{ Bindings: Env }>();

app.get("/health", async (c) => {
	try {
		await database(c.env.DATABASE_URL).execute(sql`select 1`);
		return c.json({ ok: true, database: "up" });
	} catch (error) {
		log("error", "health check failed", describeError(error));
		return c.json({ ok: false, database: "down" }, 503);
	}
});

app.post("/api/webhooks/:provider", async (c) => {
	const provider = providers[c.req.param("provider")];
	if (!provider) return c.json({ error: "unknown_provider", message: "No webhook endpoint at this path." }, 404);
	return receiveWebhook(provider, {
		request: c.req.raw,
		env: c.env,
		nowSeconds: Math.floor(Date.now() / 1000),
		requestId: c.req.header("cf-ray") ?? crypto.randomUUID(),
	});
});

app.notFound((c) => c.json({ error: "not_found", message: "No such route." }, 404));

app.onError((error, c) => {
	log("error", "unhandled error", { path: c.req.path, ...describeError(error) });
	return c.json({ error: "internal_error", message: "Unexpected error; retry later." }, 500);
});
