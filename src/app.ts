/**
 * @module app
 * The Hono app: health check and `/api/webhooks/<path>`, routed to provider modules through the
 * registry (src/providers/index.ts); `/api/webhooks/email` serves the provider EMAIL_PROVIDER names.
 * A trailing slash is the same path (dashboards are often filled in with one); other methods than
 * POST on a webhook path get 405 with `Allow: POST`. The admin API is mounted at `/api/admin`
 * (admin/api.ts) and the operator's dashboard at `/admin` (admin/dashboard); both exist only when
 * ADMIN_TOKEN is set. One onError turns anything unexpected into a generic 500 (details to the logs
 * only); a middleware's HTTPException is its own answer.
 */
import { sql } from "drizzle-orm";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { adminApi } from "./admin/api";
import { dashboard } from "./admin/dashboard";
import { database } from "./db/client";
import { describeError, log } from "./log";
import { chosenProviders, providers } from "./providers";
import { setting, type WebhookProvider } from "./webhooks/provider";
import { receiveWebhook } from "./webhooks/receive";

/** Path → provider. A Map, so that `__proto__` or `constructor` name nothing. */
const byPath = new Map<string, WebhookProvider>(providers.map((provider) => [provider.path, provider]));
const byName = new Map<string, WebhookProvider>(providers.map((provider) => [provider.name, provider]));

/** The provider served at `/api/webhooks/<path>`, if any. */
function providerAt(path: string, env: Env): WebhookProvider | undefined {
	const found = byPath.get(path);
	if (found) return found;
	const chosen = Object.hasOwn(chosenProviders, path) ? chosenProviders[path] : undefined;
	if (!chosen) return undefined;
	const name = setting(env, chosen.setting)?.trim() || chosen.fallback;
	const provider = byName.get(name);
	return provider && byPath.get(`${path}/${name}`) === provider ? provider : undefined;
}

/** The webhook path of a request: what follows `/api/webhooks/`, without a trailing slash. */
const webhookPath = (path: string) => path.slice("/api/webhooks/".length).replace(/\/$/, "");

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

app.post("/api/webhooks/*", async (c) => {
	const provider = providerAt(webhookPath(c.req.path), c.env);
	if (!provider) return c.json(unknownProvider, 404);
	return receiveWebhook(provider, {
		request: c.req.raw,
		env: c.env,
		nowSeconds: Math.floor(Date.now() / 1000),
		requestId: c.req.header("cf-ray") ?? crypto.randomUUID(),
	});
});

app.all("/api/webhooks/*", (c) => {
	if (!providerAt(webhookPath(c.req.path), c.env)) return c.json(unknownProvider, 404);
	c.header("Allow", "POST");
	return c.json(
		{
			error: "method_not_allowed",
			message: "This is a webhook endpoint: the provider sends its events here with POST.",
		},
		405,
	);
});

// The operator's side: the admin API (JSON, bearer token).
app.route("/api/admin", adminApi);
// The dashboard (HTML pages, a cookie): its own secure headers, CSRF check and error pages.
app.route("/admin", dashboard);

app.notFound((c) => c.json({ error: "not_found", message: "No such route." }, 404));

app.onError((error, c) => {
	if (error instanceof HTTPException) return error.getResponse();
	log("error", "unhandled error", { path: c.req.path, ...describeError(error) });
	return c.json({ error: "internal_error", message: "Unexpected error; retry later." }, 500);
});
