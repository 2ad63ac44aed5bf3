import { escapeHtml, layout } from './html.js';

/** The sign-in page: what an anonymous user sees, with the Login button that starts the login at IS. */
export function signinPage(input: { serverOrigin: string; notice?: { kind: 'info' | 'warning'; text: string } }): string {
  const notice = input.notice
    ? `<p class="notice ${input.notice.kind}" id="notice" role="status">${escapeHtml(input.notice.text)}</p>`
    : '';
  return layout(
    'Sign in',
    `    <section class="card narrow" id="signin">
      <h1>Sign in</h1>
      ${notice}
      <p>This application signs you in with your WSO2 Identity Server account.</p>
      <a class="button primary" id="login" href="/login">Login</a>
      <p class="small muted">You will be sent to <span id="server-origin">${escapeHtml(input.serverOrigin)}</span> to sign in.</p>
    </section>`,
  );
}
