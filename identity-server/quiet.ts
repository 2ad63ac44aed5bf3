/**
 * Silences two oidc-provider warnings that say nothing useful here: the Node 20 "Unsupported runtime"
 * notice (oidc-provider 9 works on Node 20, see design notes) and the notice about an already read request
 * body (the router reads bodies to pick the tenant, on purpose). Must be imported before oidc-provider.
 */
const SILENCED = [/Unsupported runtime/, /already parsed request body detected/];
const original = console.warn.bind(console);

console.warn = (...args: unknown[]) => {
  const first = typeof args[0] === 'string' ? args[0] : '';
  if (first.includes('oidc-provider WARNING') && SILENCED.some((re) => re.test(first))) return;
  original(...args);
};
