import { escapeHtml, layout } from './html.js';

export interface ErrorPageInput {
  /** Page heading. */
  title: string;
  /** IS's OAuth `error` (`access_denied`, `login_required`...) or the strategy's error code. */
  error?: string;
  /** IS's `error_description`. */
  description?: string;
  /** A sentence for the user: what happened and what to do. */
  message: string;
}

/** A failed or refused login, explained: IS's error and description, and the way back. Never a stack trace. */
export function errorPage(input: ErrorPageInput): string {
  const details = [
    input.error !== undefined ? `<dt>Error</dt><dd><code id="error-code">${escapeHtml(input.error)}</code></dd>` : '',
    input.description !== undefined ? `<dt>Description</dt><dd id="error-description">${escapeHtml(input.description)}</dd>` : '',
  ].join('');
  return layout(
    input.title,
    `    <section class="card narrow" id="error">
      <h1>${escapeHtml(input.title)}</h1>
      <p id="error-message">${escapeHtml(input.message)}</p>
      ${details ? `<dl class="details">${details}</dl>` : ''}
      <div class="actions">
        <a class="button primary" id="try-again" href="/login">Try again</a>
        <a class="button" id="back" href="/signin">Back to sign in</a>
      </div>
    </section>`,
  );
}
