/**
 * The dev stage's API stack as the infra tests read it: synthesized without bundling (the templates
 * are what is checked), plus the lookups the route tests share.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { loadConfig } from '#adapters/config';
import { buildLinkoutApp } from '#infra/linkout-app';

export type Resource = { Properties: Record<string, any> };

export class ApiTemplate {
  readonly app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  readonly api = Template.fromStack(buildLinkoutApp(this.app, { config: loadConfig(), stageName: 'dev', nag: false }).api);

  resources(type: string): Array<[string, Resource]> {
    return Object.entries(this.api.findResources(type) as Record<string, Resource>);
  }

  /** The one route with this key, e.g. 'POST /v1/subscriptions'. */
  routeOf(routeKey: string): Resource {
    const routes = this.resources('AWS::ApiGatewayV2::Route').filter(([, route]) => route.Properties.RouteKey === routeKey);
    if (routes.length !== 1) throw new Error(`${routes.length} routes have the key ${routeKey}`);
    return routes[0]![1];
  }

  /** The logical id of the function a route integrates with. */
  integrationTarget(route: Resource): string {
    const integrationId = route.Properties.Target['Fn::Join'][1][1].Ref as string;
    return this.api.toJSON().Resources[integrationId].Properties.IntegrationUri['Fn::GetAtt'][0] as string;
  }

  /** The stage's per-route settings (throttles), by route key. */
  routeSettings(): Record<string, unknown> {
    const [[, stage]] = this.resources('AWS::ApiGatewayV2::Stage') as [[string, Resource]];
    return stage.Properties.RouteSettings;
  }

  /** The DynamoDB actions the function whose logical id starts with `functionPrefix` may perform. */
  dynamoActionsOf(functionPrefix: string): string[] {
    const [, fn] = this.resources('AWS::Lambda::Function').find(([id]) => id.startsWith(functionPrefix))!;
    const role = fn.Properties.Role['Fn::GetAtt'][0];
    return this.resources('AWS::IAM::Policy')
      .filter(([, policy]) => policy.Properties.Roles.some((r: { Ref: string }) => r.Ref === role))
      .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement.flatMap((s: { Action: string | string[] }) => s.Action))
      .filter((action: string) => action.startsWith('dynamodb:'));
  }
}
