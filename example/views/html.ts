/** The few helpers every page needs: HTML escaping and the page frame. */

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Wraps a page's content (already HTML) in the example's frame. `title` is text. */
export function layout(title: string, content: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escapeHtml(title)} · passport-wso2is example</title>
  <link rel="stylesheet" href="/static/style.css">
</head>
<body>
  <header class="topbar">
    <span class="brand">passport-wso2is <span class="muted">example</span></span>
    <span class="muted">Express + Passport + WSO2 Identity Server</span>
  </header>
  <main>
${content}
  </main>
</body>
</html>
`;
}
