/** What every hosted page (portal, checkout, redirect approval) shares: the response shape and the HTML shell. */

export interface PageResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface PageParts {
  title: string;
  /** Already-escaped HTML for the header, the main part and the footer's legal links. */
  header?: string;
  body: string;
  footer?: string;
  lang?: string;
}

/** A complete, uncacheable HTML page with the emulator's plain style; no JavaScript. */
export function htmlResponse(status: number, parts: PageParts): PageResponse {
  const html = `<!doctype html>
<html lang="${escapeHtml(parts.lang ?? 'en')}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(parts.title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1a1f36}
section{border:1px solid #e3e8ee;border-radius:8px;padding:1rem;margin:1rem 0}.error{color:#b3093c}.notice{color:#0a7e48}
button{padding:.5rem 1rem;margin-top:.5rem}table{width:100%;border-collapse:collapse}td,th{text-align:left;padding:.25rem}</style></head>
<body>
<header>${parts.header ?? ''}</header>
<main>
${parts.body}
</main>
<footer><small>Stripe emulator (test mode). ${parts.footer ?? ''}</small></footer>
</body></html>`;
  return { status, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }, body: html };
}

/** A 303 to `location` (a form POST that leaves the emulator, e.g. to a return or success URL). */
export function redirectResponse(location: string): PageResponse {
  return { status: 303, headers: { location, 'cache-control': 'no-store' }, body: '' };
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);
}
