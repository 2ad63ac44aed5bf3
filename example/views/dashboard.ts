import { escapeHtml, layout } from './html.js';

/**
 * Claims that describe the token or the sign-in rather than the user: left out of the attribute table, as the
 * Flask sample shows only user attributes.
 */
const PROTOCOL_CLAIMS = new Set([
  'iss', 'sub', 'aud', 'azp', 'exp', 'iat', 'nbf', 'jti', 'nonce', 'at_hash', 'c_hash', 's_hash', 'sid', 'isk',
  'amr', 'acr', 'auth_time', 'realm', 'session_state', 'org_id', 'org_name', 'org_handle',
]);

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value === 'string') return value.trim() === '';
  if (Array.isArray(value)) return value.every(isEmpty);
  if (typeof value === 'object') return Object.values(value).every(isEmpty);
  return false;
}

/** The user attributes IS released, in claim order, without protocol claims and without empty values. */
export function userAttributes(claims: Record<string, unknown>): [string, unknown][] {
  return Object.entries(claims).filter(([name, v]) => !PROTOCOL_CLAIMS.has(name) && !isEmpty(v));
}

function show(value: unknown): string {
  if (Array.isArray(value)) return value.filter((v) => !isEmpty(v)).map(show).join(', ');
  if (value !== null && typeof value === 'object') {
    return Object.entries(value)
      .filter(([, v]) => !isEmpty(v))
      .map(([k, v]) => `${k}: ${show(v)}`)
      .join(', ');
  }
  return String(value);
}

export interface DashboardInput {
  /** Who to greet: the username, else the display name, else the subject. */
  username: string;
  /** Every claim IS released (the profile's `_json`). */
  claims: Record<string, unknown>;
  /** The access token of this login, when the session has it. */
  accessToken?: string;
}

/** The protected page: the greeting, the user's attributes, the access token and the Logout button. */
export function dashboardPage(input: DashboardInput): string {
  const attributes = userAttributes(input.claims);
  const table = attributes.length === 0
    ? `<p class="note" id="no-attributes">IS released no user attributes for this login. Select the attributes to share
        in the application's <em>User Attributes</em> settings in the IS console, and request their scopes
        (<code>profile</code>, <code>email</code>...).</p>`
    : `<table id="attributes">
        <thead><tr><th scope="col">Attribute</th><th scope="col">Value</th></tr></thead>
        <tbody>
${attributes.map(([name, v]) => `          <tr><th scope="row">${escapeHtml(name)}</th><td>${escapeHtml(show(v))}</td></tr>`).join('\n')}
        </tbody>
      </table>`;
  const token = input.accessToken === undefined
    ? '<p class="note">No access token is kept in this session.</p>'
    : `<pre class="token" id="access-token">${escapeHtml(input.accessToken)}</pre>`;
  return layout(
    'Home',
    `    <section class="card" id="dashboard">
      <div class="row">
        <h1 id="greeting">Hi ${escapeHtml(input.username)}</h1>
        <form method="post" action="/logout">
          <button type="submit" class="button" id="logout">Logout</button>
        </form>
      </div>
      <h2>User attributes</h2>
      ${table}
      <h2>Access token</h2>
      <p class="small muted">Shown here as WSO2's sample does, to call APIs with; keep real tokens out of your pages.</p>
      ${token}
    </section>`,
  );
}
