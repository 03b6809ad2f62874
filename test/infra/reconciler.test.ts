/**
 * The reconciler in the synthesized API stack: its Lambda with only the table actions a run uses,
 * EventBridge Scheduler every 15 minutes with a bounded retry policy, the scheduler's role limited
 * to invoking it, and its alarms on the stack's alarm topic.
 */
import { RUN_LOG_MESSAGE } from '#handlers/reconciler';
import { RECONCILER_TABLE_ACTIONS } from '#infra/reconciler';
import { ApiTemplate, type Resource } from '../infra/api-template';

let template: ApiTemplate;

beforeAll(() => {
  template = new ApiTemplate();
});

const reconcilerFunction = () => {
  const found = template.resources('AWS::Lambda::Function').filter(([id]) => id.startsWith('ReconcilerFunction'));
  expect(found).toHaveLength(1);
  return found[0]!;
};

it('runs the reconciler handler with the table name and the Stripe secret ARN, never the secret', () => {
  const [, fn] = reconcilerFunction();
  const variables = fn.Properties.Environment.Variables as Record<string, unknown>;
  expect(variables.TABLE_NAME).toBeDefined();
  expect(variables.STRIPE_SECRET_ARN).toBeDefined();
  expect(variables.STRIPE_SECRET_KEY).toBeUndefined();
  expect(fn.Properties.Description).toMatch(/reconciliation of missed webhooks/);
});

it('gives the function exactly the table actions of the webhook path and the checkpoint: no delete, scan or batch', () => {
  const actions = template.dynamoActionsOf('ReconcilerFunction');
  expect(new Set(actions)).toEqual(new Set(RECONCILER_TABLE_ACTIONS));
  for (const forbidden of ['dynamodb:DeleteItem', 'dynamodb:Scan', 'dynamodb:BatchWriteItem']) expect(actions).not.toContain(forbidden);
});

it('invokes it every 15 minutes from EventBridge Scheduler, through a role that may only invoke it', () => {
  const [functionId] = reconcilerFunction();
  const schedules = template.resources('AWS::Scheduler::Schedule').filter(([, s]) => s.Properties.Target.Arn['Fn::GetAtt'][0] === functionId);
  expect(schedules).toHaveLength(1);
  const [, schedule] = schedules[0]!;
  expect(schedule.Properties.ScheduleExpression).toBe('rate(15 minutes)');
  expect(schedule.Properties.Target.RetryPolicy).toEqual({ MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 900 });
  const roleId = schedule.Properties.Target.RoleArn['Fn::GetAtt'][0];
  const statements = template
    .resources('AWS::IAM::Policy')
    .filter(([, policy]) => policy.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId))
    .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>);
  expect(statements.flatMap((s) => [s.Action].flat())).toEqual(['lambda:InvokeFunction']);
  for (const target of statements.flatMap((s) => [s.Resource].flat())) expect(JSON.stringify(target)).toContain(functionId);
});

it('does not let Lambda retry a failed run: the next run starts from the checkpoint', () => {
  const [functionId] = reconcilerFunction();
  const configs = template.resources('AWS::Lambda::EventInvokeConfig').filter(([, c]) => c.Properties.FunctionName.Ref === functionId);
  expect(configs).toHaveLength(1);
  expect(configs[0]![1].Properties.MaximumRetryAttempts).toBe(0);
});

it('alarms on the stack topic when runs fail, stop three runs in a row, skip events, or stop happening', () => {
  const alarms = template.resources('AWS::CloudWatch::Alarm').filter(([id]) => id.startsWith('Reconciler'));
  const byId = (prefix: string) => alarms.find(([id]) => id.startsWith(prefix))?.[1];
  const topicId = template.resources('AWS::SNS::Topic')[0]![0];
  for (const prefix of ['ReconcilerErrors', 'ReconcilerStopped', 'ReconcilerSkipped', 'ReconcilerNotRunning']) {
    expect(byId(prefix)?.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
  }
  expect(byId('ReconcilerStopped')!.Properties).toMatchObject({ MetricName: 'ReconcileRunsStopped', EvaluationPeriods: 3 });
  expect(byId('ReconcilerNotRunning')!.Properties).toMatchObject({ MetricName: 'Invocations', TreatMissingData: 'breaching' });
  const filters = template.resources('AWS::Logs::MetricFilter').filter(([id]) => id.startsWith('Reconciler')) as Array<[string, Resource]>;
  const patterns = filters.map(([, filter]) => filter.Properties.FilterPattern as string);
  // The handler's own run line, with its report's fields.
  expect(patterns).toContain(`{ $.message = "${RUN_LOG_MESSAGE}" && $.complete IS FALSE }`);
  expect(patterns.some((p) => p.includes('$.skippedApiVersion.count > 0'))).toBe(true);
});
