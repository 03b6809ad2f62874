/**
 * How a Linkout Lambda runs on a schedule (the pause resumer, the reconciler): EventBridge Scheduler
 * invokes it at a fixed rate through a role that may invoke that one function only. Neither Lambda
 * nor the scheduler retries a run later than the next one: every run does whatever is due then, so a
 * lost invocation is simply replaced by the next, and the callers' alarms watch that runs happen.
 */
import { type CfnElement, type Duration, Stack, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { Construct } from 'constructs';
import type { LinkoutFunction } from './linkout-function';

export interface RunOnScheduleProps {
  rate: Duration;
  /** What the runs do, for the schedule's description. */
  description: string;
  /** The function's name in the role's acknowledgement, e.g. "resumer". */
  what: string;
}

/** Creates `SchedulerRole` and `Schedule` in `scope` (ids kept stable for existing stacks). */
export function runOnSchedule(scope: Construct, fn: LinkoutFunction, props: RunOnScheduleProps): Schedule {
  fn.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: props.rate });
  return new Schedule(scope, 'Schedule', {
    schedule: ScheduleExpression.rate(props.rate),
    description: props.description,
    target: new LambdaInvoke(fn, {
      role: schedulerRole(scope, fn, props.what),
      // Retries of the invocation itself (Lambda throttled or unavailable), never later than the next run.
      retryAttempts: 3,
      maxEventAge: props.rate,
    }),
  });
}

/** The role EventBridge Scheduler assumes, for this account's schedules only; it may invoke `fn` and nothing else. */
function schedulerRole(scope: Construct, fn: LinkoutFunction, what: string): Role {
  const role = new Role(scope, 'SchedulerRole', {
    assumedBy: new ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } } }),
  });
  const functionId = Stack.of(scope).getLogicalId(fn.node.defaultChild as CfnElement);
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${functionId}.Arn>:*]`,
    reason: `Lambda grantInvoke covers the versions and aliases of the one ${what} function, nothing else.`,
  });
  return role;
}
