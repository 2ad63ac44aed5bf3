/**
 * A small cookie-keeping HTTP client that plays the browser in integration tests: it follows redirects
 * itself, keeps cookies per host (with path, expiry and `Secure` handling), submits HTML forms, and
 * understands the identity server's login, consent and logout pages. TLS trust comes from the `ca` option
 * through an undici `Agent` used as the `fetch` dispatcher; nothing process-wide is changed.
 *
 * ```ts
 * const browser = new TestBrowser({ ca: is.caPem, stopAt: ['https://localhost:5000/'] });
 * let page = await browser.get(authorizationUrl);      // ends on the IS login page
 * page = await browser.login(page, 'admin', 'admin');  // ends on the consent page
 * page = await browser.consent(page, 'approve');        // stops at the app's callback
 * const code = new URL(browser.location).searchParams.get('code');
 * ```
 *
 * Navigation stops (without a request) at any URL that starts with one of `stopAt`: that is how a test
 * catches the redirect to an application it does not run. Pages that submit a form by script
 * (`data-auto-submit`, or a `document.forms[0].submit()` / `.submit()` on the only form, as in
 * `response_mode=form_post`) are submitted; `<iframe src>` on a page is loaded (front-channel logout);
 * `<meta http-equiv="refresh">` is followed at once.
 */
import { Agent, type Dispatcher } from 'undici';

/** Options of {@link TestBrowser}. */
export interface TestBrowserOptions {
  /** CA certificate(s) (PEM) to trust for HTTPS, e.g. the identity server's `caPem`. */
  ca?: string | Buffer | (string | Buffer)[];
  /** A dispatcher to use instead of one built from `ca`. */
  dispatcher?: Dispatcher;
  /** URL prefixes at which navigation stops without requesting them (e.g. the app's callback). */
  stopAt?: string[];
  /** Most redirects followed in one navigation. Default 20. */
  maxRedirects?: number;
  /** Run auto-submitting forms, meta refreshes and iframes. Default true. */
  scripts?: boolean;
}

/** A page the browser ended on. */
export interface BrowserPage {
  /** The URL of this page; for a stopped navigation, the URL it stopped at (not requested). */
  url: string;
  /** HTTP status; 0 for a navigation stopped by `stopAt`. */
  status: number;
  /** Response headers (empty when stopped). */
  headers: Headers;
  /** Response body as text ('' when stopped). */
  body: string;
  /** Every URL navigated to in this call, in order, including redirects and the stop URL. */
  redirects: string[];
  /** True when navigation stopped at a `stopAt` prefix. */
  stopped: boolean;
  /** Parsed body when it is JSON, else undefined. */
  json?: unknown;
}

/** A form found in a page. */
export interface BrowserForm {
  id: string | undefined;
  action: string;
  method: string;
  /** Named fields with their current values (hidden, text, password...). */
  fields: Record<string, string>;
  /** Submit buttons. */
  buttons: { id: string | undefined; name: string | undefined; value: string; text: string; formaction: string | undefined }[];
  autoSubmit: boolean;
}

interface Cookie {
  name: string;
  value: string;
  path: string;
  expires: number | undefined;
  secure: boolean;
}

/** One entry of {@link TestBrowser.history}. */
export interface HistoryEntry {
  method: string;
  url: string;
  status: number;
  /** Why the request was made: navigation, redirect, form, iframe, refresh. */
  kind: 'navigate' | 'redirect' | 'form' | 'iframe' | 'refresh';
  /** Set when the request failed at the network level (an iframe target not running...). */
  error?: string;
}

function attributes(tag: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  const re = /([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g;
  const inner = tag.replace(/^<\s*[a-zA-Z]+/, '').replace(/\/?>$/, '');
  for (const m of inner.matchAll(re)) {
    const name = (m[1] ?? '').toLowerCase();
    attrs[name] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return attrs;
}

function decodeEntities(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#x2F;/gi, '/')
    .replace(/&amp;/g, '&');
}

/** Parses the forms of an HTML page (enough for the identity server's and simple app pages). */
export function parseForms(html: string, baseUrl: string): BrowserForm[] {
  const forms: BrowserForm[] = [];
  const onlyScriptSubmit = /\.submit\(\)/.test(html);
  for (const m of html.matchAll(/<form\b[^>]*>([\s\S]*?)<\/form>/gi)) {
    const open = /<form\b[^>]*>/i.exec(m[0])?.[0] ?? '<form>';
    const attrs = attributes(open);
    const body = m[1] ?? '';
    const fields: Record<string, string> = {};
    for (const input of body.matchAll(/<input\b[^>]*>/gi)) {
      const a = attributes(input[0]);
      const type = (a.type ?? 'text').toLowerCase();
      if (!a.name || type === 'submit' || type === 'button' || type === 'image') continue;
      if ((type === 'checkbox' || type === 'radio') && !('checked' in a)) continue;
      fields[a.name] = a.value ?? (type === 'checkbox' ? 'on' : '');
    }
    const buttons: BrowserForm['buttons'] = [];
    for (const button of body.matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button>/gi)) {
      const a = attributes(`<button ${button[1] ?? ''}>`);
      if ((a.type ?? 'submit').toLowerCase() !== 'submit') continue;
      buttons.push({
        id: a.id,
        name: a.name,
        value: a.value ?? '',
        text: decodeEntities((button[2] ?? '').replace(/<[^>]+>/g, '')).trim(),
        formaction: a.formaction,
      });
    }
    forms.push({
      id: attrs.id,
      action: new URL(attrs.action ?? '', baseUrl).href,
      method: (attrs.method ?? 'get').toLowerCase(),
      fields,
      buttons,
      autoSubmit: 'data-auto-submit' in attrs,
    });
  }
  if (forms.length === 1 && onlyScriptSubmit && forms[0]) forms[0].autoSubmit = true;
  return forms;
}

/** Plays a browser against HTTPS (or HTTP) servers; see the module documentation. */
export class TestBrowser {
  /** Every request made, in order. */
  readonly history: HistoryEntry[] = [];
  /** The URL the browser is on (the last page, or where the last navigation stopped). */
  location = '';

  private readonly jar = new Map<string, Cookie[]>();
  private readonly dispatcher: Dispatcher | undefined;
  private readonly ownDispatcher: Agent | undefined;
  private readonly stopAt: string[];
  private readonly maxRedirects: number;
  private readonly scripts: boolean;

  constructor(options: TestBrowserOptions = {}) {
    if (options.dispatcher) {
      this.dispatcher = options.dispatcher;
    } else if (options.ca) {
      this.ownDispatcher = new Agent({ connect: { ca: options.ca } });
      this.dispatcher = this.ownDispatcher;
    }
    this.stopAt = options.stopAt ?? [];
    this.maxRedirects = options.maxRedirects ?? 20;
    this.scripts = options.scripts !== false;
  }

  /** Navigates to `url` (GET) and follows redirects. */
  get(url: string | URL): Promise<BrowserPage> {
    return this.navigate('GET', new URL(url).href, undefined, 'navigate');
  }

  /** POSTs a form-urlencoded body to `url` as a form submission would, and follows redirects. */
  post(url: string | URL, fields: Record<string, string>): Promise<BrowserPage> {
    return this.navigate('POST', new URL(url).href, new URLSearchParams(fields), 'form');
  }

  /** The forms of a page. */
  forms(page: BrowserPage): BrowserForm[] {
    return parseForms(page.body, page.url);
  }

  /**
   * Submits a form of `page`: the one with id `form` (default the first form), with `fields` overriding
   * its values, pressing the submit button whose id, value or visible text is `button` (default none).
   */
  submit(page: BrowserPage, options: { form?: string; fields?: Record<string, string>; button?: string } = {}): Promise<BrowserPage> {
    const forms = this.forms(page);
    const form = options.form ? forms.find((f) => f.id === options.form) : forms[0];
    if (!form) throw new Error(`TestBrowser: no form ${options.form ?? ''} on ${page.url} (status ${page.status})`);
    const fields = { ...form.fields, ...options.fields };
    let action = form.action;
    if (options.button) {
      const button = form.buttons.find((b) => b.id === options.button || b.text === options.button || b.value === options.button);
      if (!button) throw new Error(`TestBrowser: no button ${options.button} in form ${form.id ?? ''} on ${page.url}`);
      if (button.name) fields[button.name] = button.value;
      if (button.formaction) action = new URL(button.formaction, page.url).href;
    }
    if (form.method === 'post') return this.navigate('POST', action, new URLSearchParams(fields), 'form');
    const target = new URL(action);
    target.search = new URLSearchParams(fields).toString();
    return this.navigate('GET', target.href, undefined, 'form');
  }

  /** On the IS login page: types the credentials and presses "Sign In". */
  login(page: BrowserPage, username: string, password: string): Promise<BrowserPage> {
    return this.submit(page, { form: 'loginForm', fields: { username, password }, button: 'sign-in-button' });
  }

  /** On the IS login page: presses "Cancel". */
  cancelLogin(page: BrowserPage): Promise<BrowserPage> {
    return this.submit(page, { form: 'loginForm', button: 'cancel-button' });
  }

  /** On the IS consent page: presses "Allow" (`approve`) or "Deny" (`deny`). */
  consent(page: BrowserPage, decision: 'approve' | 'deny'): Promise<BrowserPage> {
    return this.submit(page, { form: 'consentForm', button: decision });
  }

  /** On the IS logout consent page ("Do you want to logout?"): presses "Yes" or "No". */
  confirmLogout(page: BrowserPage, answer: 'yes' | 'no'): Promise<BrowserPage> {
    return this.submit(page, { form: 'logoutForm', button: answer === 'yes' ? 'approve' : 'deny' });
  }

  /** Cookies the browser would send to `url` (name → value). */
  cookies(url: string | URL): Record<string, string> {
    const target = new URL(url);
    return Object.fromEntries(this.matching(target).map((c) => [c.name, c.value]));
  }

  /** Forgets all cookies (a new browser profile). */
  clearCookies(): void {
    this.jar.clear();
  }

  /** Closes the connection pool built from `ca` (not a dispatcher passed in). */
  async close(): Promise<void> {
    await this.ownDispatcher?.close();
  }

  private matching(url: URL): Cookie[] {
    const now = Date.now();
    const cookies = (this.jar.get(url.host) ?? []).filter((c) => c.expires === undefined || c.expires > now);
    return cookies.filter((c) => {
      if (c.secure && url.protocol !== 'https:') return false;
      const path = url.pathname;
      return path === c.path || path.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`) || c.path === '/';
    });
  }

  private store(url: URL, headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair = '', ...attrs] = line.split(';');
      const index = pair.indexOf('=');
      if (index < 0) continue;
      const cookie: Cookie = {
        name: pair.slice(0, index).trim(),
        value: pair.slice(index + 1).trim(),
        path: url.pathname.replace(/\/[^/]*$/, '') || '/',
        expires: undefined,
        secure: false,
      };
      for (const attr of attrs) {
        const [k = '', ...v] = attr.split('=');
        const key = k.trim().toLowerCase();
        const value = v.join('=').trim();
        if (key === 'path' && value.startsWith('/')) cookie.path = value;
        else if (key === 'max-age') cookie.expires = Date.now() + Number(value) * 1000;
        else if (key === 'expires' && cookie.expires === undefined) cookie.expires = Date.parse(value);
        else if (key === 'secure') cookie.secure = true;
      }
      const list = (this.jar.get(url.host) ?? []).filter((c) => !(c.name === cookie.name && c.path === cookie.path));
      if (cookie.expires === undefined || cookie.expires > Date.now()) list.push(cookie);
      this.jar.set(url.host, list);
    }
  }

  private async request(method: string, url: string, body: URLSearchParams | undefined, kind: HistoryEntry['kind']): Promise<Response> {
    const target = new URL(url);
    const headers = new Headers({ accept: 'text/html,application/json;q=0.9,*/*;q=0.8', 'user-agent': 'passport-wso2is TestBrowser' });
    const cookie = this.matching(target).map((c) => `${c.name}=${c.value}`).join('; ');
    if (cookie) headers.set('cookie', cookie);
    if (body) headers.set('content-type', 'application/x-www-form-urlencoded');
    const entry: HistoryEntry = { method, url, status: 0, kind };
    this.history.push(entry);
    try {
      const response = await fetch(target, {
        method,
        headers,
        body: body?.toString(),
        redirect: 'manual',
        ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
      } as RequestInit);
      entry.status = response.status;
      this.store(target, response.headers);
      return response;
    } catch (err) {
      entry.error = String((err as Error).cause ?? err);
      throw err;
    }
  }

  private async navigate(method: string, url: string, body: URLSearchParams | undefined, kind: HistoryEntry['kind']): Promise<BrowserPage> {
    const redirects: string[] = [];
    let current = url;
    let currentMethod = method;
    let currentBody = body;
    let currentKind = kind;
    for (let hop = 0; ; hop += 1) {
      if (hop > this.maxRedirects) throw new Error(`TestBrowser: too many redirects from ${url}`);
      redirects.push(current);
      this.location = current;
      if (this.stopAt.some((prefix) => current.startsWith(prefix))) {
        return { url: current, status: 0, headers: new Headers(), body: '', redirects, stopped: true };
      }
      const response = await this.request(currentMethod, current, currentBody, currentKind);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel();
        current = new URL(location, current).href;
        if (response.status !== 307 && response.status !== 308) {
          currentMethod = 'GET';
          currentBody = undefined;
        }
        currentKind = 'redirect';
        continue;
      }
      const text = await response.text();
      let json: unknown;
      if ((response.headers.get('content-type') ?? '').includes('json')) {
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
      }
      const page: BrowserPage = { url: current, status: response.status, headers: response.headers, body: text, redirects, stopped: false, json };
      if (!this.scripts || !(response.headers.get('content-type') ?? '').includes('html')) return page;

      const next = await this.runScripts(page);
      if (!next) return page;
      return { ...next, redirects: [...redirects, ...next.redirects] };
    }
  }

  /** What a browser running the page's scripts would do next: auto-submit, iframes, meta refresh. */
  private async runScripts(page: BrowserPage): Promise<BrowserPage | undefined> {
    const auto = this.forms(page).find((f) => f.autoSubmit);
    if (auto) return this.submit(page, auto.id ? { form: auto.id } : {});
    for (const frame of page.body.matchAll(/<iframe\b[^>]*>/gi)) {
      const src = attributes(frame[0]).src;
      if (!src) continue;
      const frameUrl = new URL(src, page.url).href;
      if (this.stopAt.some((prefix) => frameUrl.startsWith(prefix))) continue;
      try {
        const response = await this.request('GET', frameUrl, undefined, 'iframe');
        await response.body?.cancel();
      } catch {
        // a frame that does not load does not stop the page (recorded in history)
      }
    }
    const refresh = /<meta\b[^>]*http-equiv=["']?refresh["']?[^>]*>/i.exec(page.body);
    if (refresh) {
      const content = attributes(refresh[0]).content ?? '';
      const target = /url=(.*)$/i.exec(content)?.[1];
      if (target) return this.navigate('GET', new URL(target.trim(), page.url).href, undefined, 'refresh');
    }
    return undefined;
  }
}
