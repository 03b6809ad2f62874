/**
 * The pause resumer in the synthesized API stack: its Lambda with only the table actions a run uses,
 * the EventBridge Scheduler schedule every five minutes targeting it with a retry policy, the
 * scheduler's role limited to invoking it, its alarms on the stack's alarm topic, and cdk-nag clean.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfig } from '#adapters/config';
import { RUN_LOG_MESSAGE } from '#handlers/pause-resumer';
import { buildLinkoutApp } from '#infra/linkout-app';
import { PAUSE_RESUMER_TABLE_ACTIONS } from '#infra/pause-resumer';

type Resource = { Properties: Record<string, any> };

let app: App;
let api: Template;

beforeAll(() => {
  // Bundling skipped, as in stacks.test.ts: the templates are what is checked here.
  app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  api = Template.fromStack(buildLinkoutApp(app, { config: loadConfig(), stageName: 'dev', nag: false }).api);
});

const resources = (type: string) => Object.entries(api.findResources(type) as Record<string, Resource>);
const resumerFunction = () => {
  const found = resources('AWS::Lambda::Function').filter(([id]) => id.startsWith('PauseResumerFunction'));
  expect(found).toHaveLength(1);
  return found[0]!;
};
const actionsOfRole = (roleId: string) =>
  resources('AWS::IAM::Policy')
    .filter(([, policy]) => policy.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId))
    .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>);

it('runs the pause-resumer handler with the table name and the Stripe secret ARN, never the secret', () => {
  const [, fn] = resumerFunction();
  const variables = fn.Properties.Environment.Variables as Record<string, unknown>;
  expect(variables.TABLE_NAME).toBeDefined();
  expect(variables.STRIPE_SECRET_ARN).toBeDefined();
  expect(variables.STRIPE_SECRET_KEY).toBeUndefined();
  expect(fn.Properties.Description).toMatch(/resumer of app pauses/);
});

it('gives the function exactly Query, GetItem, UpdateItem and DeleteItem on the table, and read access to the secret', () => {
  const [, fn] = resumerFunction();
  const statements = actionsOfRole(fn.Properties.Role['Fn::GetAtt'][0]);
  const dynamo = statements.flatMap((s) => [s.Action].flat()).filter((action) => action.startsWith('dynamodb:'));
  expect(new Set(dynamo)).toEqual(new Set(PAUSE_RESUMER_TABLE_ACTIONS));
  expect(dynamo).not.toContain('dynamodb:PutItem');
  expect(dynamo).not.toContain('dynamodb:Scan');
  const secretActions = statements.flatMap((s) => [s.Action].flat()).filter((action) => action.startsWith('secretsmanager:'));
  expect(secretActions).toContain('secretsmanager:GetSecretValue');
});

it('does not let Lambda retry a failed run: the next scheduled run retries every entry', () => {
  const [functionId] = resumerFunction();
  const [[, config]] = resources('AWS::Lambda::EventInvokeConfig').filter(([, c]) => c.Properties.FunctionName.Ref === functionId) as [[string, Resource]];
  expect(config.Properties.MaximumRetryAttempts).toBe(0);
});

it('invokes it every five minutes from EventBridge Scheduler, with a bounded retry policy', () => {
  const [functionId] = resumerFunction();
  const schedules = resources('AWS::Scheduler::Schedule').filter(([id]) => id.startsWith('PauseResumer'));
  expect(schedules).toHaveLength(1);
  const [, schedule] = schedules[0]!;
  expect(schedule.Properties.ScheduleExpression).toBe('rate(5 minutes)');
  expect(schedule.Properties.State).not.toBe('DISABLED');
  expect(schedule.Properties.Target.Arn['Fn::GetAtt'][0]).toBe(functionId);
  expect(schedule.Properties.Target.RetryPolicy).toEqual({ MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 300 });
});

it("gives the scheduler's role nothing but invoking the resumer", () => {
  const [functionId] = resumerFunction();
  const [, schedule] = resources('AWS::Scheduler::Schedule').find(([id]) => id.startsWith('PauseResumer'))!;
  const statements = actionsOfRole(schedule.Properties.Target.RoleArn['Fn::GetAtt'][0]);
  expect(statements.flatMap((s) => [s.Action].flat())).toEqual(['lambda:InvokeFunction']);
  const targets = statements.flatMap((s) => [s.Resource].flat()) as Array<Record<string, unknown>>;
  expect(targets.length).toBeGreaterThan(0);
  expect(JSON.stringify(targets)).toContain(functionId);
  for (const target of targets) expect(JSON.stringify(target)).toContain(functionId);
  // Only EventBridge Scheduler, and only for this account's schedules (confused-deputy guard).
  const roleId = schedule.Properties.Target.RoleArn['Fn::GetAtt'][0];
  const [trust] = api.toJSON().Resources[roleId].Properties.AssumeRolePolicyDocument.Statement;
  expect(trust.Principal).toEqual({ Service: 'scheduler.amazonaws.com' });
  expect(trust.Condition.StringEquals['aws:SourceAccount']).toBeDefined();
});

it('alarms on the stack topic when runs fail, leave entries three runs in a row, or stop happening', () => {
  const alarms = resources('AWS::CloudWatch::Alarm').filter(([id]) => id.startsWith('PauseResumer'));
  const byId = (prefix: string) => alarms.find(([id]) => id.startsWith(prefix))?.[1];
  const topicId = resources('AWS::SNS::Topic')[0]![0];
  for (const prefix of ['PauseResumerErrors', 'PauseResumerLeftOver', 'PauseResumerNotRunning']) {
    const alarm = byId(prefix);
    expect(alarm).toBeDefined();
    expect(alarm!.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
  }
  expect(byId('PauseResumerErrors')!.Properties).toMatchObject({ MetricName: 'Errors', Threshold: 1 });
  expect(byId('PauseResumerLeftOver')!.Properties).toMatchObject({ MetricName: 'PauseResumesLeftOver', EvaluationPeriods: 3 });
  expect(byId('PauseResumerNotRunning')!.Properties).toMatchObject({
    MetricName: 'Invocations',
    ComparisonOperator: 'LessThanThreshold',
    TreatMissingData: 'breaching',
  });
  const [[, filter]] = resources('AWS::Logs::MetricFilter').filter(([id]) => id.startsWith('PauseResumerLeftOver')) as [[string, Resource]];
  // The handler's own run line, with its report's `failed` count.
  expect(filter.Properties.FilterPattern).toBe(`{ $.message = "${RUN_LOG_MESSAGE}" && $.failed > 0 }`);
});

it('leaves cdk-nag nothing to report', () => {
  const report = new AwsSolutionsChecks().validateScope(app);
  expect(report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
});
