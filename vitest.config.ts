/**
 * Tests run inside workerd (@cloudflare/vitest-plugin) against a real Postgres reached through the
 * local bridge, exactly as the Worker reaches Neon in production. The bridge port is chosen here so
 * that the Worker's DATABASE_URL binding can name it; test/setup/database.ts starts the bridge.
 */
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { clerkPreviousSecret, clerkSecret, stripePreviousSecret, stripeSecret } from "./test/support/secrets.ts";

function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.once("error", reject);
		server.listen(0, "127.0.0.1", () => {
			const { port } = server.address() as { port: number };
			server.close(() => resolve(port));
		});
	});
}

export default defineConfig(async () => {
	process.env.TEST_BRIDGE_PORT ??= String(await freePort());
	return {
		plugins: [
			cloudflareTest({
				wrangler: { configPath: "./wrangler.toml" },
				miniflare: {
					bindings: {
						DATABASE_URL: `postgres://shop:local@localhost:${process.env.TEST_BRIDGE_PORT}/shop`,
						CLERK_WEBHOOK_SIGNING_SECRET: `${clerkSecret} ${clerkPreviousSecret}`,
						STRIPE_WEBHOOK_SECRET: `${stripeSecret},${stripePreviousSecret}`,
					},
				},
			}),
		],
		resolve: {
			// Shared payloads and signature vectors live beside the repository (../shared/fixtures).
			alias: { "@fixtures": fileURLToPath(new URL("../shared/fixtures", import.meta.url)) },
		},
		test: {
			globalSetup: ["./test/setup/database.ts"],
			include: ["test/**/*.test.ts"],
		},
	};
});
