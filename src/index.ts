/**
 * @module index
 * Worker entry point: `fetch` serves the webhooks (app.ts), `queue` consumes the jobs queue and its
 * dead letters (queue/index.ts).
 */
import { app } from "./app";
import { queue } from "./queue";
import type { Job } from "./queue/jobs";

export default {
	fetch: app.fetch,
	queue,
} satisfies ExportedHandler<Env, Job>;
