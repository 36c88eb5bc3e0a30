/**
 * drizzle-kit's configuration. `npm run db:generate` writes SQL migrations to drizzle/ from
 * src/db/schema.ts and needs no database. With DATABASE_URL set (any Postgres: Neon, a local server),
 * drizzle-kit's database commands use it: `npx drizzle-kit migrate`, `npx drizzle-kit studio`.
 * `npm run db:studio` also finds the embedded database of a running `npm run dev`.
 */
import { defineConfig } from "drizzle-kit";

const url = process.env.DATABASE_URL;

export default defineConfig({
	dialect: "postgresql",
	schema: "./src/db/schema.ts",
	out: "./drizzle",
	...(url ? { dbCredentials: { url } } : {}),
});
