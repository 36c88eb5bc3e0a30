/**
 * @module admin/dashboard/login-page
 * The log-in form: the operator pastes the admin token (ADMIN_TOKEN), which becomes the dashboard's
 * cookie. Trust boundary: the page never shows a token, not even a wrong one.
 */
import { Layout, Notice } from "./layout";

export function LoginPage(props: { nonce: string | undefined; refused?: boolean; loggedOut?: boolean }) {
	return (
		<Layout title="Log in" nonce={props.nonce} narrow>
			{props.refused ? <Notice kind="error">That is not the admin token.</Notice> : null}
			{props.loggedOut ? <Notice>Logged out.</Notice> : null}
			<form method="post" action="/admin/login">
				<label>
					Admin token
					<input
						type="password"
						name="token"
						required
						autocomplete="current-password"
						autofocus
						placeholder="the value of ADMIN_TOKEN"
					/>
				</label>
				<button type="submit">Log in</button>
			</form>
			<p class="muted">
				The token is the Worker's ADMIN_TOKEN secret (<code>wrangler secret put ADMIN_TOKEN</code>; locally, in
				.dev.vars). It is kept in an HttpOnly cookie for this dashboard only, until you log out or close the browser.
			</p>
		</Layout>
	);
}
