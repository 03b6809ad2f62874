/**
 * HTML templates of the universal-link fallback pages, kept as strings so that every consumer (the
 * CDK stack, the local dev server, the tests) gets them through a plain import, without file I/O.
 *
 * Placeholders are `{{name}}`; functions/core/site.ts fills them with HTML-escaped values.
 * The page is static (S3/CloudFront), so the query string the app needs (e.g. a session id) is only
 * known in the browser: the script appends `location.search` to the app link and opens it.
 * Without JavaScript the button still opens the app, without the query.
 */

/**
 * The pages' only script; CSP allows it by hash (see SITE_CONTENT_SECURITY_POLICY in functions/core/site.ts).
 *
 * On a page opened with a purchase id (Checkout's `session_id`, a SetupIntent's `setup_intent`) it
 * first asks the API, same origin and without credentials, to settle that purchase from Stripe
 * (`POST /v1/purchases/<id>/refresh`), so that the app opened next finds fresh entitlements even when
 * the webhook is late. It polls while the purchase is pending, honours Retry-After, and gives up after
 * 30 s. Every value shown goes through textContent; the status word is kept in data-status for tests
 * and styling. Without a purchase id (the portal page, cancel) it opens the app at once.
 */
export const fallbackPageScript = `(function () {
  var link = document.getElementById('open-app');
  var status = document.getElementById('purchase-status');
  var query = new URLSearchParams(location.search);
  var id = query.get('session_id') || query.get('setup_intent');
  var deadline = Date.now() + 30000;
  var texts = {
    pending: query.get('redirect_status') === 'failed' ? 'The payment was not approved. Checking the purchase…' : 'Confirming your purchase…',
    completed: 'Your subscription is active.',
    failed: 'The purchase did not complete.',
    expired: 'The checkout page expired before the purchase was completed.',
    unknown: 'This purchase could not be checked here. Open the app to see your subscription.',
    timeout: 'Your payment is still being confirmed. Open the app: it shows your subscription as soon as the payment goes through.'
  };
  function openApp() {
    link.href += location.search;
    location.replace(link.href);
  }
  function show(state, message) {
    status.setAttribute('data-status', state);
    status.textContent = message || texts[state];
    status.hidden = false;
  }
  function finish(state, message) {
    show(state, message);
    openApp();
  }
  function retry(delayMs) {
    if (Date.now() + delayMs > deadline) return finish('pending', texts.timeout);
    setTimeout(attempt, delayMs);
  }
  function retryAfter(response) {
    var seconds = parseInt(response.headers.get('Retry-After') || '', 10);
    return Math.min(Math.max(isNaN(seconds) ? 2 : seconds, 1), 10) * 1000;
  }
  function attempt() {
    fetch('/v1/purchases/' + encodeURIComponent(id) + '/refresh', { method: 'POST', credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer' })
      .then(function (response) {
        if (response.status === 429) return retry(retryAfter(response));
        if (response.status >= 500) return retry(2000);
        if (!response.ok) return finish('unknown');
        return response.json().then(function (purchase) {
          var state = Object.prototype.hasOwnProperty.call(texts, purchase.status) && purchase.status !== 'timeout' ? purchase.status : 'unknown';
          if (state === 'pending') {
            show('pending');
            return retry(2000);
          }
          finish(state, state === 'failed' || state === 'expired' ? purchase.reason && purchase.reason.message : '');
        });
      })
      .catch(function () {
        retry(2000);
      });
  }
  if (!id || !/^[A-Za-z0-9_]{1,255}$/.test(id)) return openApp();
  show('pending');
  attempt();
})();`;

/** The pages' only style sheet; allowed by hash like the script. */
export const fallbackPageStyle = `
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",sans-serif;background:#f6f7f9;color:#1a1a1a}
main{max-width:26rem;padding:2rem;text-align:center}
h1{font-size:1.35rem;margin:0 0 .75rem}
p{margin:0 0 1.5rem;line-height:1.45;color:#444}
p.status{font-weight:600;color:#1a1a1a}
p.status[data-status=completed]{color:#0a7a2f}
p.status[data-status=failed],p.status[data-status=expired],p.status[data-status=unknown]{color:#b00020}
a.button{display:inline-block;padding:.85rem 1.6rem;border-radius:.6rem;background:#0a66ff;color:#fff;text-decoration:none;font-weight:600}
`;

export const fallbackPageTemplate = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<meta name="referrer" content="no-referrer">
<title>{{title}}</title>
<style>${fallbackPageStyle}</style>
</head>
<body>
<main>
<h1>{{heading}}</h1>
<p>{{message}}</p>
<p class="status" id="purchase-status" data-testid="purchase-status" role="status" aria-live="polite" hidden></p>
<a class="button" id="open-app" href="{{appUrl}}">Open {{appName}}</a>
</main>
<script>${fallbackPageScript}</script>
</body>
</html>
`;
