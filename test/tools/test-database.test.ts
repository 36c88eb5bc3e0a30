/** Which database `npm test` accepts: never DATABASE_URL, and only a local server unless opted in. */
import { describe, expect, it } from "vitest";
import { chooseTestDatabase } from "../setup/test-database.ts";

describe("chooseTestDatabase", () => {
	it("uses embedded PGlite when TEST_DATABASE_URL is unset, even with DATABASE_URL set, and says why", () => {
		const choice = chooseTestDatabase({
			DATABASE_URL: "postgresql://owner:pw@ep-cool-1.eu-central-1.aws.neon.tech/neondb",
		});
		expect(choice).toMatchObject({ ok: true, url: undefined });
		expect(choice.ok && choice.notes.join("\n")).toMatch(/DATABASE_URL is set but npm test never uses it/);
		expect(JSON.stringify(choice)).not.toContain("owner:pw");
	});

	it.each([
		"postgres://postgres@127.0.0.1:5432/test",
		"postgresql://postgres@localhost/test",
		"postgres://postgres@[::1]:5432/test",
		"postgres:///test",
		"postgres://postgres@/test?host=/var/run/postgresql",
		"postgres://postgres@db.localtest.me:5432/test",
	])("accepts the local server %s", (url) => {
		expect(chooseTestDatabase({ TEST_DATABASE_URL: url })).toEqual({ ok: true, url, notes: [] });
	});

	it.each([
		"postgresql://owner:pw@ep-cool-1.eu-central-1.aws.neon.tech/neondb",
		"postgres://postgres@10.0.0.5:5432/test",
		"postgres://postgres@/test?host=db.example.com",
	])("refuses the remote server %s unless TEST_DATABASE_ALLOW_REMOTE=1", (url) => {
		const refused = chooseTestDatabase({ TEST_DATABASE_URL: url });
		expect(refused.ok).toBe(false);
		expect(!refused.ok && refused.message).toMatch(/^refusing to run the tests on [^ ]+: they empty the database/);
		expect(JSON.stringify(refused)).not.toContain("pw");
		expect(chooseTestDatabase({ TEST_DATABASE_URL: url, TEST_DATABASE_ALLOW_REMOTE: "1" })).toMatchObject({
			ok: true,
			url,
		});
	});

	it("says the tests use TEST_DATABASE_URL when both are set", () => {
		const choice = chooseTestDatabase({
			DATABASE_URL: "postgresql://owner:pw@ep-cool-1.eu-central-1.aws.neon.tech/neondb",
			TEST_DATABASE_URL: "postgres://postgres@127.0.0.1:5432/test",
		});
		expect(choice.ok && choice.notes).toEqual([
			expect.stringMatching(/never uses it .*the tests use TEST_DATABASE_URL$/),
		]);
	});

	it.each(["postgres://postgres@LOCALHOST/test", "postgres://postgres@127.0.0.1:5432/test"])(
		"accepts %s, whatever the case of the host",
		(url) => expect(chooseTestDatabase({ TEST_DATABASE_URL: url })).toMatchObject({ ok: true, url }),
	);

	it.each([
		"mysql://root@127.0.0.1/test",
		"not a url",
		"postgres://admin:Sup3rS3cret@db.example.com:notaport/test",
		"postgres://admin:Sup3rS3cret@[::1:5432/prod",
	])("refuses %s, which is not a postgres:// URL, in one line without its password", (url) => {
		const refused = chooseTestDatabase({ TEST_DATABASE_URL: url });
		expect(refused).toMatchObject({ ok: false });
		expect(JSON.stringify(refused)).not.toContain("Sup3rS3cret");
	});
});
