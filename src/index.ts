/**
 * @module index
 * Worker entry point. The queue handler joins here when email and shipping work moves to a Queue.
 */
import { app } from "./app";

export default {
	fetch: app.fetch,
} satisfies ExportedHandler<Env>;
