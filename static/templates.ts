/**
 * HTML templates of the universal-link fallback pages, kept as strings so that every consumer (the
 * CDK stack, the local dev server, the tests) gets them through a plain import, without file I/O.
 *
 * Placeholders are `{{name}}`; functions/core/site.ts fills them with HTML-escaped values.
 * The page is static (S3/CloudFront), so the query string the app needs (e.g. a session id) is only
 * known in the browser: the one-line script appends `location.search` to the app link and opens it.
 * Without JavaScript the button still opens the app, without the query.
 */
/** The page's only script; CSP allows it by hash (see SITE_CONTENT_SECURITY_POLICY in functions/core/site.ts). */
export const fallbackPageScript = '(function(){var a=document.getElementById("open-app");a.href+=location.search;location.replace(a.href)})();';

/** The page's only style sheet; allowed by hash like the script. */
export const fallbackPageStyle = `
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",sans-serif;background:#f6f7f9;color:#1a1a1a}
main{max-width:26rem;padding:2rem;text-align:center}
h1{font-size:1.35rem;margin:0 0 .75rem}
p{margin:0 0 1.5rem;line-height:1.45;color:#444}
a.button{display:inline-block;padding:.85rem 1.6rem;border-radius:.6rem;background:#0a66ff;color:#fff;text-decoration:none;font-weight:600}
`;

export const fallbackPageTemplate = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{title}}</title>
<style>${fallbackPageStyle}</style>
</head>
<body>
<main>
<h1>{{heading}}</h1>
<p>{{message}}</p>
<a class="button" id="open-app" href="{{appUrl}}">Open {{appName}}</a>
</main>
<script>${fallbackPageScript}</script>
</body>
</html>
`;
