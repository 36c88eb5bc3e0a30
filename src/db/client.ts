/**
 * @module db/client
 * The Worker's only way to Postgres: drizzle over Neon's SQL-over-HTTP driver. Local hosts
 * (localhost, 127.x, ::1, *.localtest.me) are sent to the local bridge at http://host:port/sql;
 * every other host keeps Neon's own endpoint, so production is untouched.
 */
import { neon, neonConfig } from "@neondatabase/serverless";
import { drizzle, type NeonHttpDatabase } from "drizzle-orm/neon-http";
import { isLocalDatabaseHost } from "./local-host";
import * as schema from "./schema";

export type Database = NeonHttpDatabase<typeof schema>;

const neonEndpoint = neonConfig.fetchEndpoint;
neonConfig.fetchEndpoint = (host, port, options) => {
	if (isLocalDatabaseHost(host)) return `http://${host}:${port || 5432}/sql`;
	return typeof neonEndpoint === "function" ? neonEndpoint(host, port, options) : neonEndpoint;
};

const databases = new Map<string, Database>();

/** One drizzle instance per connection string and isolate. */
export function database(url: string): Database {
	let db = databases.get(url);
	if (!db) {
		db = drizzle({ client: neon(url), schema });
		databases.set(url, db);
	}
	return db;
}
