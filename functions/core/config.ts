/**
 * The one configuration schema of Linkout: the shape of every field and the types derived from it.
 *
 * The same validated object drives the CDK stacks, the local stack, the Lambdas (at cold start) and
 * the apple-app-site-association file, so every fact lives here exactly once. The rules that span
 * several fields, and parseConfig, are in config-validation.ts.
 * Pure: no I/O. Loading a file or an environment variable is the adapters' job.
 */
// A namespace import, not { z }: esbuild then drops what the schema does not use (zod's 40-odd locales, ~150 KB of every bundle).
import * as z from 'zod';
import { LOOPBACK_HTTP_URL } from './config-constants';
import { MAX_PORTAL_HEADLINE_LENGTH } from './portal-limits';

const roleName = z.string().regex(/^[a-z][a-z0-9_-]*$/, 'role names are lower-case identifiers');
const stripeId = (prefix: string) => z.string().regex(new RegExp(`^${prefix}_[A-Za-z0-9_]+$`), `must start with ${prefix}_`);
const httpsUrl = z.url({ protocol: /^https$/ });
const domainName = z.string().regex(/^(?!-)[a-z0-9-]+(\.[a-z0-9-]+)+$/, 'a bare host name such as links.example.com (no scheme, no path)');
const returnPath = z.string().regex(/^\/[A-Za-z0-9_\-/]*$/, 'a path on the universal-link domain, starting with /');

/**
 * The Android app that opens the same links through App Links. Google's verifier accepts a statement
 * only when the package name and a signing-certificate fingerprint match the installed app exactly.
 */
const AndroidAppSchema = z
  .object({
    /** The application id (build.gradle applicationId): dot-separated segments, each starting with a letter. */
    packageName: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$/, 'an Android application id such as com.example.app (at least two segments)'),
    /** SHA-256 fingerprints of the certificates that sign the app as installed (with Play App Signing: Google's, from Play Console). */
    sha256CertFingerprints: z
      .array(z.string().regex(/^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/, 'a SHA-256 fingerprint as 32 upper-case hex pairs separated by colons (AA:BB:...)'))
      .min(1),
  })
  .strict();

const PriceSchema = z.object({
  /** Stripe price lookup key: the portable handle for a price across test and live mode. */
  lookupKey: z.string().min(1),
  unitAmount: z.number().int().nonnegative(),
  currency: z.string().regex(/^[a-z]{3}$/),
  interval: z.enum(['day', 'week', 'month', 'year']),
  intervalCount: z.number().int().positive().default(1),
  /** Entitlement keys this price grants in addition to its product's. */
  entitlements: z.array(z.string().min(1)).default([]),
});

const ProductSchema = z.object({
  /** Stripe product id. Stripe accepts caller-chosen ids, so the catalog is stable across accounts. */
  id: stripeId('prod'),
  name: z.string().min(1),
  description: z.string().optional(),
  /** Entitlement keys a subscription to this product grants; defaults to the product id. */
  entitlements: z.array(z.string().min(1)).default([]),
  prices: z.array(PriceSchema).min(1),
});

/** A pause length: `count` `interval`s (calendar months and years). */
const PauseDurationSchema = z.object({ interval: z.enum(['day', 'week', 'month', 'year']), count: z.number().int().positive().default(1) }).strict();

/**
 * How a role may pause its subscription; without it, the role may not pause at all.
 * - `subscription`: Stripe's pause (status `paused`: no invoices, the period stands still). The app's
 *   pause with a `resumesAt` is resumed by Linkout's scheduled resumer; the portal's durations are
 *   resumed by Stripe itself.
 * - `collection`: `pause_collection` (status stays `active`; invoices are voided, kept as drafts or
 *   marked uncollectible); `resumesAt` becomes Stripe's `pause_collection.resumes_at`.
 */
const RolePauseSchema = z
  .object({
    mode: z.enum(['subscription', 'collection']),
    /** `collection` mode: what Stripe does with the invoices of the paused periods. */
    collectionBehavior: z.enum(['void', 'keep_as_draft', 'mark_uncollectible']).default('void'),
    /** The longest pause the role may choose, in the app and in the portal (at most three years). */
    maxDuration: PauseDurationSchema,
    /** The role may pause and resume through the app API (POST /v1/subscriptions/{id}/pause and /resume). */
    app: z.boolean().default(true),
    /** The role's portal offers pausing (`features.subscription_pause` and the `subscription_pause` deep link); `subscription` mode only. */
    portal: z.boolean().default(false),
    /** The pause lengths the portal offers; default: the maximum alone. */
    portalDurations: z.array(PauseDurationSchema).min(1).optional(),
  })
  .strict();

const CancellationReasons = z.enum([
  'customer_service',
  'low_quality',
  'missing_features',
  'other',
  'switched_service',
  'too_complex',
  'too_expensive',
  'unused',
]);

/** What one role may do in Stripe's hosted portal: the declarative source of a portal configuration. */
const PortalRoleSchema = z
  .object({
    name: z.string().min(1).optional(),
    features: z
      .object({
        customerUpdate: z
          .object({
            enabled: z.boolean(),
            allowedUpdates: z.array(z.enum(['address', 'email', 'name', 'phone', 'shipping', 'tax_id'])).default([]),
          })
          .default({ enabled: false, allowedUpdates: [] }),
        invoiceHistory: z.object({ enabled: z.boolean() }).default({ enabled: true }),
        paymentMethodUpdate: z.object({ enabled: z.boolean() }).default({ enabled: false }),
        subscriptionCancel: z
          .object({
            enabled: z.boolean(),
            mode: z.enum(['at_period_end', 'immediately']).default('at_period_end'),
            prorationBehavior: z.enum(['always_invoice', 'create_prorations', 'none']).default('none'),
            cancellationReasons: z.array(CancellationReasons).default([]),
          })
          .default({ enabled: false, mode: 'at_period_end', prorationBehavior: 'none', cancellationReasons: [] }),
        subscriptionUpdate: z
          .object({
            enabled: z.boolean(),
            defaultAllowedUpdates: z.array(z.enum(['price', 'promotion_code', 'quantity'])).default(['price']),
            prorationBehavior: z.enum(['always_invoice', 'create_prorations', 'none']).default('create_prorations'),
            /** Catalog product ids offered for switching; their prices come from the catalog. */
            products: z.array(stripeId('prod')).default([]),
          })
          .default({ enabled: false, defaultAllowedUpdates: ['price'], prorationBehavior: 'create_prorations', products: [] }),
      })
      .strict(),
    pause: RolePauseSchema.optional(),
    loginPage: z.object({ enabled: z.boolean() }).default({ enabled: false }),
  })
  .strict();

export const LinkoutConfigSchema = z.object({
  app: z.object({
    name: z.string().min(1),
    /** Apple developer team id (10 characters). */
    teamId: z.string().regex(/^[A-Z0-9]{10}$/, 'an Apple team id is 10 upper-case letters or digits'),
    bundleId: z.string().regex(/^[A-Za-z0-9.-]+$/),
    /** Custom URL scheme the fallback pages open when a universal link does not fire. */
    urlScheme: z.string().regex(/^[a-z][a-z0-9+.-]*$/),
    /** Host that serves the AASA file and the fallback pages (the universal-link domain). */
    universalLinkDomain: domainName,
    /**
     * Optional: the base URL Stripe sends customers back to (portal return, Checkout success and
     * cancel, Amazon Pay return). Default https://<universalLinkDomain>. The local stack sets its own
     * URL, so the whole journey runs without a domain; plain http is accepted only for loopback hosts.
     */
    siteUrl: z
      .url({ protocol: /^https?$/ })
      .refine((url) => url.startsWith('https://') || LOOPBACK_HTTP_URL.test(url), {
        message: 'an https URL, or http only for localhost / 127.0.0.1',
      })
      .refine((url) => !/^https?:\/\/[^/]+\/./.test(url), { message: 'a bare origin such as https://links.example.com (no path)' })
      .optional(),
    /** Extra paths (beyond the fallback pages) that open the app through universal links. */
    universalLinkPaths: z.array(returnPath).default([]),
    /** Optional: publish /.well-known/assetlinks.json so the same links open the Android app. */
    android: AndroidAppSchema.optional(),
  }),
  auth: z.object({
    /** OIDC issuer checked by the JWT authorizer (AWS) and the dev server (local). */
    issuer: z.url(),
    audience: z.array(z.string().min(1)).min(1),
    /** JWT claim holding the billing account id (default: each user is their own account). */
    accountClaim: z.string().min(1).default('sub'),
    /** JWT claim holding the caller's role within the billing account. */
    roleClaim: z.string().min(1).default('role'),
  }),
  access: z
    .object({
      pastDueGrantsAccess: z.boolean().default(true),
      pausedCollectionSuspendsAccess: z.boolean().default(true),
    })
    .default({ pastDueGrantsAccess: true, pausedCollectionSuspendsAccess: true }),
  catalog: z.object({ products: z.array(ProductSchema).min(1) }),
  portal: z.object({
    /** Paths on the universal-link domain a portal session may return to (no open redirect). */
    returnPaths: z.array(returnPath).min(1).default(['/portal_redirect']),
    businessProfile: z.object({
      headline: z.string().max(MAX_PORTAL_HEADLINE_LENGTH, `Stripe limits the portal headline to ${MAX_PORTAL_HEADLINE_LENGTH} characters`).optional(),
      privacyPolicyUrl: httpsUrl.optional(),
      termsOfServiceUrl: httpsUrl.optional(),
    }),
    roles: z.record(roleName, PortalRoleSchema),
    /** The role used for a caller whose role is unknown or missing: deny by default. */
    leastPrivilegedRole: roleName,
  }),
  /** Who may start a subscription with Checkout (POST /v1/checkout-sessions), and where Checkout returns to. */
  checkout: z
    .object({
      /**
       * Roles that may buy. A caller's role is resolved as for the portal (unknown or missing ->
       * portal.leastPrivilegedRole), so buying is denied by default.
       */
      roles: z.array(roleName).default([]),
      /** Paths on the universal-link domain Checkout returns to, as `<path>/success` and `<path>/cancel`; the first is the default. */
      returnPaths: z.array(returnPath).min(1).default(['/checkout_redirect']),
    })
    .strict()
    .default({ roles: [], returnPaths: ['/checkout_redirect'] }),
  /** Per-deployment-stage settings for the CDK app (`cdk deploy -c stage=<name>`). */
  stages: z.record(
    z.string().regex(/^[a-z][a-z0-9-]*$/),
    z.object({
      account: z
        .string()
        .regex(/^\d{12}$/)
        .optional(),
      region: z.string().optional(),
      /** Keep data on stack deletion and turn on deletion protection. */
      production: z.boolean().default(false),
      /** Optional custom domain for the universal-link site; needs a certificate in us-east-1. */
      siteDomain: domainName.optional(),
      siteCertificateArn: z.string().startsWith('arn:aws:acm:us-east-1:').optional(),
      alarmEmail: z.email().optional(),
      logRetentionDays: z.number().int().positive().default(30),
    }),
  ),
});

export type LinkoutConfig = z.infer<typeof LinkoutConfigSchema>;
export type CatalogProduct = z.infer<typeof ProductSchema>;
export type PortalRole = z.infer<typeof PortalRoleSchema>;
export type AndroidApp = z.infer<typeof AndroidAppSchema>;
export type RolePause = z.infer<typeof RolePauseSchema>;
export type PauseDuration = z.infer<typeof PauseDurationSchema>;
export type CheckoutSettings = LinkoutConfig['checkout'];
