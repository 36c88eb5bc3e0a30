/**
 * Test helper: a real database-side failure. A trigger on `users` raises `errcode` (a SQLSTATE) when
 * the row of `userId` is written, so the tests see what Postgres itself answers, through the bridge.
 */
import { sql } from "drizzle-orm";
import { testDb } from "./rows";

/** Installs the trigger `name`; resolves to a function that removes it. */
export async function refuseUserWrites(name: string, userId: string, errcode: string): Promise<() => Promise<void>> {
	await testDb().execute(
		sql.raw(`create or replace function ${name}() returns trigger language plpgsql as $$
			begin if new.id = '${userId}' then raise exception 'injected failure' using errcode = '${errcode}'; end if; return new; end $$`),
	);
	await testDb().execute(
		sql.raw(
			`create or replace trigger ${name} before insert or update on users for each row execute function ${name}()`,
		),
	);
	return async () => {
		await testDb().execute(sql.raw(`drop trigger if exists ${name} on users`));
	};
}
