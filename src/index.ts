/**
 * @module index
 * Worker entry point: `fetch` serves the webhooks (app.ts), `queue` consumes the jobs queue and its
 * dead letters (queue/index.ts), `scheduled` runs the cron sweep that re-enqueues overdue deferred
 * events and pending notifications (queue/sweep.ts; wrangler.toml `[triggers]`).
 */
import { app } from "./app";
import { queue } from "./queue";
import type { Job } from "./queue/jobs";
import { sweep } from "./queue/sweep";

export default {
	fetch: app.fetch,
	queue,
	async scheduled(_controller, env, _ctx) {
		await sweep(env);
	},
} satisfies ExportedHandler<Env, Job>;
