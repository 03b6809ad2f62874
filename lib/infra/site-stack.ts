/**
 * The universal-link site: the apple-app-site-association file, Android's assetlinks.json (when an
 * Android app is configured) and the fallback pages, generated from configuration, in a private S3
 * bucket behind CloudFront (origin access control).
 *
 * The details that break universal links silently are handled on purpose here: every object gets
 * an explicit content type (an extensionless S3 object is otherwise binary/octet-stream), there is
 * no error-response rewrite (it would serve HTML at the AASA or assetlinks path), and no redirect in
 * front of them (both Apple and Google refuse a redirected association file).
 */
import {
  Annotations,
  type CfnElement,
  CfnOutput,
  DefaultStackSynthesizer,
  Duration,
  Fn,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  PriceClass,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, Source } from 'aws-cdk-lib/aws-s3-deployment';
import type { Construct } from 'constructs';
import { ASSET_LINKS_KEY, buildSiteFiles, SITE_CONTENT_SECURITY_POLICY, type SiteFile } from '#core/site';
import type { LinkoutStage } from './stage';

export interface SiteStackProps extends StackProps {
  stage: LinkoutStage;
  /** When set, `/v1/*` on the site's domain is forwarded to this HTTP API endpoint (https://id.execute-api...). */
  apiEndpoint?: string;
}

const SECURITY_HEADERS = {
  strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
  contentTypeOptions: { override: true },
  frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
  referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
  contentSecurityPolicy: { contentSecurityPolicy: SITE_CONTENT_SECURITY_POLICY, override: true },
};

export class SiteStack extends Stack {
  readonly bucket: Bucket;
  readonly distribution: Distribution;
  readonly siteDomain: string;

  constructor(scope: Construct, id: string, props: SiteStackProps) {
    super(scope, id, props);
    const { stage } = props;
    const files = buildSiteFiles(stage.config);

    this.bucket = new Bucket(this, 'SiteBucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // Everything in the bucket is regenerated from configuration on each deploy: nothing to keep.
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    });

    const headers = this.securityHeaders();
    const { domainNames, certificate } = this.customDomain(stage);
    this.distribution = new Distribution(this, 'Distribution', {
      comment: `Linkout universal links (${stage.name})`,
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        compress: true,
      },
      // Deliberately no errorResponses and no defaultRootObject: a missing file is a 403/404, never
      // an HTML page at the AASA path.
      ...(props.apiEndpoint && { additionalBehaviors: { '/v1/*': this.apiBehavior(props.apiEndpoint, this.apiHeaders()) } }),
      domainNames,
      certificate,
      ...(certificate && { minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021 }),
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
    });
    this.siteDomain = stage.settings.siteDomain ?? this.distribution.distributionDomainName;

    this.deployFiles(files);
    this.acknowledgeFindings(Boolean(certificate));
    this.checkUniversalLinkDomain(stage);

    new CfnOutput(this, 'SiteDomain', { value: this.siteDomain, description: 'Add applinks:<this domain> to the app' });
    new CfnOutput(this, 'DistributionDomainName', {
      value: this.distribution.distributionDomainName,
      description: 'Point the custom domain (CNAME / alias) here',
    });
    new CfnOutput(this, 'AasaUrl', { value: `https://${this.siteDomain}/.well-known/apple-app-site-association` });
    if (stage.config.app.android) new CfnOutput(this, 'AssetLinksUrl', { value: `https://${this.siteDomain}/${ASSET_LINKS_KEY}` });
    new CfnOutput(this, 'SiteBucketName', { value: this.bucket.bucketName });
  }

  /**
   * One deployment per (content type, cache policy): S3 stores the content type per object, so the
   * AASA and assetlinks objects are uploaded as application/json and the pages as text/html. `prune: false`
   * because the deployments share the bucket root and must not delete each other's files.
   * A page and the pages under it (checkout_redirect, checkout_redirect/success) go in separate
   * deployments: the upload function unpacks a deployment's sources into one directory, where a
   * file and a folder cannot share a name.
   */
  private deployFiles(files: SiteFile[]): void {
    const groups: SiteFile[][] = [];
    for (const file of files) {
      const fits = (group: SiteFile[]) =>
        group[0]!.contentType === file.contentType &&
        group[0]!.cacheControl === file.cacheControl &&
        group.every((other) => !other.key.startsWith(`${file.key}/`) && !file.key.startsWith(`${other.key}/`));
      const group = groups.find(fits);
      if (group) group.push(file);
      else groups.push([file]);
    }
    const ids = new Set<string>();
    for (const group of groups) {
      const { contentType, cacheControl } = group[0]!;
      let id = `Deploy${deploymentId(contentType)}`;
      while (ids.has(id)) id += 'X';
      ids.add(id);
      new BucketDeployment(this, id, {
        sources: group.map((file) => Source.data(file.key, file.body)),
        destinationBucket: this.bucket,
        contentType,
        cacheControl: [CacheControl.fromString(cacheControl)],
        prune: false,
        distribution: this.distribution,
        distributionPaths: group.map((file) => `/${file.key}`),
        memoryLimit: 256,
      });
    }
  }

  /** The API under the site's own domain, uncached, with every viewer header (Authorization, Stripe-Signature) passed on. */
  private apiBehavior(apiEndpoint: string, headers: ResponseHeadersPolicy) {
    const apiHost = Fn.select(2, Fn.split('/', apiEndpoint));
    return {
      origin: new HttpOrigin(apiHost, { protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY, readTimeout: Duration.seconds(30) }),
      // A redirect would turn Stripe's POST into a failed delivery; HTTPS only.
      viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
      allowedMethods: AllowedMethods.ALLOW_ALL,
      cachePolicy: CachePolicy.CACHING_DISABLED,
      originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      responseHeadersPolicy: headers,
    };
  }

  /** Security headers for every response; the CSP is the site's one policy (functions/core/site.ts), shared with the local server. */
  private securityHeaders(): ResponseHeadersPolicy {
    return new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'Linkout universal-link site security headers',
      securityHeadersBehavior: SECURITY_HEADERS,
    });
  }

  /**
   * The API's responses get the same security headers, plus `Cache-Control: no-store` where the
   * response has none: the handlers set their own, but API Gateway's JWT authorizer answers 401
   * without one, and HTTP APIs cannot customise that answer.
   */
  private apiHeaders(): ResponseHeadersPolicy {
    return new ResponseHeadersPolicy(this, 'ApiHeaders', {
      comment: 'Linkout API responses under the site domain',
      securityHeadersBehavior: SECURITY_HEADERS,
      customHeadersBehavior: { customHeaders: [{ header: 'Cache-Control', value: 'no-store', override: false }] },
    });
  }

  private customDomain(stage: LinkoutStage) {
    const { siteDomain, siteCertificateArn } = stage.settings;
    if (!siteDomain) return { domainNames: undefined, certificate: undefined };
    if (!siteCertificateArn) {
      throw new Error(`Stage "${stage.name}" sets siteDomain but no siteCertificateArn (an ACM certificate in us-east-1 for ${siteDomain}).`);
    }
    return { domainNames: [siteDomain], certificate: Certificate.fromCertificateArn(this, 'SiteCertificate', siteCertificateArn) };
  }

  private checkUniversalLinkDomain(stage: LinkoutStage): void {
    const expected = stage.config.app.universalLinkDomain;
    if (stage.settings.siteDomain && stage.settings.siteDomain !== expected) {
      Annotations.of(this).addWarningV2(
        'linkout:site-domain-mismatch',
        `siteDomain ${stage.settings.siteDomain} differs from app.universalLinkDomain ${expected}: portal return URLs point at the latter.`,
      );
    }
  }

  private acknowledgeFindings(customCertificate: boolean): void {
    this.acknowledgeDeploymentHandler();
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'The bucket only holds files generated from configuration and is read solely by CloudFront; CloudFront metrics cover access.',
    });
    Validations.of(this.distribution).acknowledge(
      { id: 'AwsSolutions-CFR1', reason: 'Universal links must work for app users in every country.' },
      { id: 'AwsSolutions-CFR2', reason: 'Static, public, cacheable files (plus the JWT- and signature-checked API); WAF would dominate the cost.' },
      { id: 'AwsSolutions-CFR3', reason: 'Standard logs are not needed for a handful of static files; CloudFront metrics are on.' },
    );
    if (!customCertificate) {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR4',
        reason: 'Without a custom domain CloudFront uses its default certificate, whose TLS policy cannot be raised; stages with siteDomain get TLSv1.2_2021.',
      });
    }
  }

  /** BucketDeployment's shared upload function is built by aws-cdk-lib; its grants are its own. */
  private acknowledgeDeploymentHandler(): void {
    const handler = this.node.children.find((child) => child.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (!handler) return;
    const bucketId = this.getLogicalId(this.bucket.node.defaultChild as CfnElement);
    const assetBucket = `arn:<AWS::Partition>:s3:::cdk-${DefaultStackSynthesizer.DEFAULT_QUALIFIER}-assets-<AWS::AccountId>-<AWS::Region>/*`;
    const reason = 'Grants made by aws-cdk-lib BucketDeployment: read the staged asset, write and invalidate this site bucket and distribution.';
    Validations.of(handler).acknowledge(
      { id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', reason },
      { id: 'AwsSolutions-L1', reason: 'The runtime of the BucketDeployment function is chosen by aws-cdk-lib.' },
      ...['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*'].map((action) => ({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason,
      })),
      { id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/*]`, reason },
      { id: `AwsSolutions-IAM5[Resource::${assetBucket}]`, reason },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'cloudfront:CreateInvalidation does not support resource-level permissions in the policy BucketDeployment writes.',
      },
    );
  }
}

function deploymentId(contentType: string): string {
  return contentType
    .split(';')[0]!
    .split(/[^A-Za-z0-9]+/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
