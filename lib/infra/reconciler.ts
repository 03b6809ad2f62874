/**
 * Reconciliation of missed webhooks (functions/handlers/reconciler.ts): its Lambda, with only the
 * table actions the webhook's code path and the checkpoint use, invoked by EventBridge Scheduler
 * every 15 minutes, and the alarms that tell ops when missed events are not being healed.
 *
 * No dead-letter queue: an invocation carries nothing (every run lists what Stripe has since the
 * checkpoint), so a lost one is simply replaced by the next; the alarms watch that runs keep
 * happening and get through.
 */
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IMetric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { FilterPattern, MetricFilter } from 'aws-cdk-lib/aws-logs';
import type { Schedule } from 'aws-cdk-lib/aws-scheduler';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { LinkoutFunction, metricNamespace } from './linkout-function';
import { runOnSchedule } from './schedule';
import type { LinkoutStage } from './stage';

/**
 * How often missed events are looked for: a lost webhook is healed at most this late. Each run
 * re-lists a few minutes of overlap, so runs cost a handful of Stripe calls when nothing was missed.
 */
const RECONCILER_RATE = Duration.minutes(15);

/**
 * Exactly what a run does: the webhook's EntitlementSync (GetItem, Query, PutItem for links and
 * lookups, UpdateItem for the ordered writes) and the checkpoint (GetItem, UpdateItem). No
 * DeleteItem, no scans, no batch writes.
 */
export const RECONCILER_TABLE_ACTIONS = ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'] as const;

/** The handler's log line of every run (RUN_LOG_MESSAGE in functions/handlers/reconciler.ts). */
const RUN_LOG_MESSAGE = 'reconciler run';

export interface ReconcilerProps {
  stage: LinkoutStage;
  table: ITable;
  stripeSecret: ISecret;
  alarmTopic: ITopic;
}

export class Reconciler extends Construct {
  readonly function: LinkoutFunction;
  readonly schedule: Schedule;

  constructor(scope: Construct, id: string, props: ReconcilerProps) {
    super(scope, id);
    this.function = new LinkoutFunction(this, 'Function', {
      handlerName: 'reconciler',
      stage: props.stage,
      table: { table: props.table, access: { actions: RECONCILER_TABLE_ACTIONS } },
      stripeSecret: props.stripeSecret,
      description: `Linkout reconciliation of missed webhooks (${props.stage.name})`,
      // A backlog (the first run looks back 30 days) is paced; the checkpoint advances per day listed,
      // so a run cut short by the timeout still leaves progress for the next.
      timeout: Duration.minutes(10),
      memorySize: 512,
    });
    this.schedule = runOnSchedule(this, this.function, {
      rate: RECONCILER_RATE,
      description: `Applies Stripe events whose webhooks were missed (${props.stage.name})`,
      what: 'reconciler',
    });

    this.createAlarms(props.alarmTopic);
  }

  private createAlarms(topic: ITopic): void {
    const period = RECONCILER_RATE;
    const logMetric = (filterId: string, metricName: string, condition: string) =>
      new MetricFilter(this, filterId, {
        logGroup: this.function.logGroup,
        metricNamespace: metricNamespace(this),
        metricName,
        filterPattern: FilterPattern.literal(`{ $.message = "${RUN_LOG_MESSAGE}" && ${condition} }`),
        metricValue: '1',
        defaultValue: 0,
      }).metric({ statistic: 'Sum', period });

    const alarm = (alarmId: string, metric: IMetric, evaluationPeriods: number, description: string, below = false) => {
      const created = new Alarm(this, alarmId, {
        alarmDescription: description,
        metric,
        threshold: 1,
        evaluationPeriods,
        comparisonOperator: below ? ComparisonOperator.LESS_THAN_THRESHOLD : ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // No data on invocations means the schedule stopped: that is the failure to report.
        treatMissingData: below ? TreatMissingData.BREACHING : TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(new SnsAction(topic));
      created.addOkAction(new SnsAction(topic));
    };
    alarm('Errors', this.function.metricErrors({ period }), 1, 'The reconciler Lambda is failing: missed webhooks are not being healed.');
    // One stopped run is retried by the next; three in a row means Stripe or the table keeps failing for it.
    alarm(
      'Stopped',
      logMetric('StoppedFilter', 'ReconcileRunsStopped', '$.complete IS FALSE'),
      3,
      'Reconciliation has stopped on a failure three runs in a row: missed webhooks are not being applied.',
    );
    // Events Linkout cannot read (another API version) or that are malformed are skipped: ops must look.
    alarm(
      'Skipped',
      logMetric('SkippedFilter', 'ReconcileEventsSkipped', '($.skippedApiVersion.count > 0 || $.rejected.count > 0)'),
      1,
      'Reconciliation skipped events it cannot apply (another API version, or malformed): run the backfill or check the pinned API version.',
    );
    alarm(
      'NotRunning',
      this.function.metricInvocations({ period: Duration.minutes(45), statistic: 'Sum' }),
      1,
      'The reconciler has not run for 45 minutes: check its EventBridge schedule.',
      true,
    );
  }
}
