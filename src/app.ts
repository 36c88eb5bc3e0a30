/**
 * @module app
 * The Hono app: health check and `/api/webhooks/:provider`, routed to provider modules. A trailing
 * slash is the same path (dashboards are often filled in with one); other methods than POST on a
 * webhook path get 405 with `Allow: POST`. One onError turns anything unexpected into a generic 500
 * (details to the logs only).
 */
import { sql } from "drizzle-orm";
import { Hono } from "hono";
import { database } from "./db/client";
import { describeError, log } from "./log";
import { clerk } from "./providers/clerk";
import { stripe } from "./providers/stripe";
import type { WebhookProvider } from "./webhooks/provider";
import { receiveWebhook } from "./webhooks/receive";

/** The registry: path segment → provider. A Map, so that `__proto__` or `constructor` name nothing. */
const providers = new Map<string, WebhookProvider>([clerk, stripe].map((provider) => [provider.name, provider]));

export const app = new Hono<{ Bindings: Env }>({ strict: false });

const unknownProvider = { error: "unknown_provider", message: "No webhook endpoint at this path." } as const;

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
	const provider = providers.get(c.req.param("provider"));
	if (!provider) return c.json(unknownProvider, 404);
	return receiveWebhook(provider, {
		request: c.req.raw,
		env: c.env,
		nowSeconds: Math.floor(Date.now() / 1000),
		requestId: c.req.header("cf-ray") ?? crypto.randomUUID(),
	});
});

app.all("/api/webhooks/:provider", (c) => {
	if (!providers.has(c.req.param("provider"))) return c.json(unknownProvider, 404);
	c.header("Allow", "POST");
	return c.json(
		{
			error: "method_not_allowed",
			message: "This is a webhook endpoint: the provider sends its events here with POST.",
		},
		405,
	);
});

app.notFound((c) => c.json({ error: "not_found", message: "No such route." }, 404));

app.onError((error, c) => {
	log("error", "unhandled error", { path: c.req.path, ...describeError(error) });
	return c.json({ error: "internal_error", message: "Unexpected error; retry later." }, 500);
});
