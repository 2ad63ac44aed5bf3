/**
 * HTML of the IS web pages: login, consent, error, logout consent and logout result. Plain and IS-like.
 *
 * Stable selectors (for playwright and for test/support/browser.ts):
 * - Login page (`/authenticationendpoint/login.do`): `form#loginForm`; username `input#usernameUserInput`
 *   (`name="username"`); password `input#password` (`name="password"`); button `#sign-in-button` "Sign In"
 *   (`name="action" value="login"`); button `#cancel-button` "Cancel" (`name="action" value="cancel"`).
 *   After a wrong password the page shows `#error-msg` "Login failed! Please recheck the username and
 *   password and try again.".
 * - Consent page (`/authenticationendpoint/oauth2_consent.do`): `form#consentForm`; button `#approve` "Allow"
 *   (`name="consent" value="approve"`); button `#deny` "Deny" (`name="consent" value="deny"`).
 * - Logout consent page (`/oidc/logout`, when enabled): `form#logoutForm` with the question "Do you want to
 *   logout?"; button `#approve` "Yes" (`name="logout" value="yes"`); button `#deny` "No" (posts elsewhere
 *   through `formaction`).
 * - Error page (`/authenticationendpoint/oauth2_error.do`): `#error-code` and `#error-msg`.
 */

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const STYLE = `
  body { font-family: "Segoe UI", Helvetica, Arial, sans-serif; background: #f4f4f4; margin: 0; }
  header { background: #1e1e2d; color: #fff; padding: 12px 24px; font-weight: 600; }
  header span { color: #ff7300; }
  main { max-width: 420px; margin: 48px auto; background: #fff; padding: 28px 32px; border-radius: 4px;
         box-shadow: 0 1px 4px rgba(0,0,0,.15); }
  h2 { margin-top: 0; font-weight: 500; }
  label { display: block; margin: 12px 0 4px; font-size: 14px; }
  input[type=text], input[type=password] { width: 100%; padding: 8px; box-sizing: border-box; }
  .buttons { margin-top: 20px; display: flex; gap: 8px; }
  button { padding: 8px 18px; border: 1px solid #bbb; background: #fff; cursor: pointer; border-radius: 3px; }
  button.primary { background: #ff7300; color: #fff; border-color: #ff7300; }
  .negative { background: #fff6f6; color: #9f3a38; border: 1px solid #e0b4b4; padding: 10px; margin-bottom: 12px; }
  ul.claims { padding-left: 20px; }
  footer { text-align: center; color: #888; font-size: 12px; }
`;

/** Wraps page content in IS's chrome. */
export function layout(title: string, content: string, head = ''): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escapeHtml(title)} | WSO2 Identity Server</title>
  <style>${STYLE}</style>
  ${head}
</head>
<body>
  <header>WSO2 <span>Identity Server</span> (local imitation for passport-wso2is development)</header>
  <main>
${content}
  </main>
  <footer>&copy; WSO2 LLC. Not a real WSO2 Identity Server.</footer>
</body>
</html>`;
}

export interface LoginPageInput {
  action: string;
  sessionDataKey: string;
  applicationName: string;
  tenant: string;
  failed: boolean;
  username?: string;
}

export function loginPage(input: LoginPageInput): string {
  const error = input.failed
    ? `<div id="error-msg" class="negative" role="alert">Login failed! Please recheck the username and password and try again.</div>`
    : '';
  return layout(
    'Sign In',
    `    <h2>Sign In</h2>
    <p id="application-name">to continue to <strong>${escapeHtml(input.applicationName)}</strong></p>
    ${error}
    <form id="loginForm" method="post" action="${escapeHtml(input.action)}">
      <input type="hidden" name="sessionDataKey" value="${escapeHtml(input.sessionDataKey)}">
      <input type="hidden" name="tenantDomain" value="${escapeHtml(input.tenant)}">
      <label for="usernameUserInput">Username</label>
      <input type="text" id="usernameUserInput" name="username" autocomplete="username" autofocus
             value="${escapeHtml(input.username ?? '')}">
      <label for="password">Password</label>
      <input type="password" id="password" name="password" autocomplete="current-password">
      <div class="buttons">
        <button type="submit" id="cancel-button" name="action" value="cancel" formnovalidate>Cancel</button>
        <button type="submit" id="sign-in-button" class="primary" name="action" value="login">Sign In</button>
      </div>
    </form>`,
  );
}

export interface ConsentPageInput {
  action: string;
  sessionDataKey: string;
  applicationName: string;
  scopes: string[];
  claims: string[];
}

export function consentPage(input: ConsentPageInput): string {
  const items = [...input.scopes.filter((s) => s !== 'openid'), ...input.claims]
    .map((c) => `<li>${escapeHtml(c)}</li>`)
    .join('');
  return layout(
    'Consent',
    `    <h2>${escapeHtml(input.applicationName)} wants to access your account</h2>
    <p>This will allow <strong>${escapeHtml(input.applicationName)}</strong> to:</p>
    <ul class="claims" id="requested-claims">${items || '<li>Verify your identity</li>'}</ul>
    <form id="consentForm" method="post" action="${escapeHtml(input.action)}">
      <input type="hidden" name="sessionDataKey" value="${escapeHtml(input.sessionDataKey)}">
      <div class="buttons">
        <button type="submit" id="deny" name="consent" value="deny">Deny</button>
        <button type="submit" id="approve" class="primary" name="consent" value="approve">Allow</button>
      </div>
    </form>`,
  );
}

export function errorPage(code: string, message: string): string {
  return layout(
    'Error',
    `    <h2>Something went wrong</h2>
    <div class="negative">
      <p>Error code: <span id="error-code">${escapeHtml(code)}</span></p>
      <p>Message: <span id="error-msg">${escapeHtml(message)}</span></p>
    </div>`,
  );
}

export interface LogoutConsentInput {
  action: string;
  denyAction: string;
  xsrf: string;
  ask: boolean;
}

/**
 * The logout page. With `ask`, IS's logout consent question; without, a form that submits itself
 * (`data-auto-submit`, honoured by the test browser) so the logout proceeds at once.
 */
export function logoutConsentPage(input: LogoutConsentInput): string {
  if (!input.ask) {
    return layout(
      'Logging out',
      `    <form id="logoutForm" method="post" action="${escapeHtml(input.action)}" data-auto-submit>
      <input type="hidden" name="xsrf" value="${escapeHtml(input.xsrf)}">
      <input type="hidden" name="logout" value="yes">
      <noscript><button type="submit" id="approve">Continue logout</button></noscript>
    </form>
    <script>document.getElementById('logoutForm').submit();</script>`,
    );
  }
  return layout(
    'Logout',
    `    <h2>Do you want to logout?</h2>
    <form id="logoutForm" method="post" action="${escapeHtml(input.action)}">
      <input type="hidden" name="xsrf" value="${escapeHtml(input.xsrf)}">
      <div class="buttons">
        <button type="submit" id="deny" name="consent" value="deny" formaction="${escapeHtml(input.denyAction)}">No</button>
        <button type="submit" id="approve" class="primary" name="logout" value="yes">Yes</button>
      </div>
    </form>`,
  );
}

export function loggedOutPage(): string {
  return layout('Logged out', `    <h2 id="logout-success">You have successfully logged out.</h2>`);
}

/**
 * Front-channel logout: one hidden iframe per application, then the redirect to where the logout ends
 * (script once the frames loaded; `meta refresh` as a fallback, which the test browser follows after loading
 * the frames).
 */
export function frontchannelPage(frames: string[], next: string): string {
  const iframes = frames
    .map((src) => `<iframe class="frontchannel-logout" src="${escapeHtml(src)}" style="display:none"></iframe>`)
    .join('\n    ');
  return layout(
    'Logging out',
    `    <p>Logging out of your applications...</p>
    ${iframes}
    <script>
      (function () {
        var frames = document.querySelectorAll('iframe.frontchannel-logout');
        var left = frames.length;
        function done() { window.location.replace(${JSON.stringify(next).replace(/</g, '\\u003c')}); }
        if (!left) return done();
        frames.forEach(function (f) { f.addEventListener('load', function () { if (--left === 0) done(); }); });
        setTimeout(done, 2500);
      })();
    </script>`,
    `<meta http-equiv="refresh" content="3;url=${escapeHtml(next)}">`,
  );
}
