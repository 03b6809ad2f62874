/**
 * The scheduled resumer of app pauses (functions/handlers/pause-resumer.ts): its Lambda, with only
 * the table actions it uses, invoked by EventBridge Scheduler every five minutes, and the alarms
 * that tell ops when pauses are not being resumed.
 *
 * No dead-letter queue: an invocation carries nothing (every run handles whatever is due then), so
 * a lost one is simply replaced by the next; what matters is that runs keep happening and succeed,
 * which the alarms watch.
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

/** How often due pauses are resumed: a pause ends at most this late (plus one run's duration). */
const PAUSE_RESUMER_RATE = Duration.minutes(5);

/**
 * Exactly what the run does: Query (the due entries, the customer's records), GetItem (an ordered
 * write that did not land reads the stored watermark), UpdateItem (the ordered write, clearing
 * `scheduledResumeAt`), DeleteItem (the done entry). No PutItem, no scans, no batch writes.
 */
export const PAUSE_RESUMER_TABLE_ACTIONS = ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'] as const;

/** The handler's log line of every run (RUN_LOG_MESSAGE in functions/handlers/pause-resumer.ts). */
const RUN_LOG_MESSAGE = 'pause resumer run';

export interface PauseResumerProps {
  stage: LinkoutStage;
  table: ITable;
  stripeSecret: ISecret;
  alarmTopic: ITopic;
}

export class PauseResumer extends Construct {
  readonly function: LinkoutFunction;
  readonly schedule: Schedule;

  constructor(scope: Construct, id: string, props: PauseResumerProps) {
    super(scope, id);
    this.function = new LinkoutFunction(this, 'Function', {
      handlerName: 'pause-resumer',
      stage: props.stage,
      table: { table: props.table, access: { actions: PAUSE_RESUMER_TABLE_ACTIONS } },
      stripeSecret: props.stripeSecret,
      description: `Linkout resumer of app pauses (${props.stage.name})`,
      // A run handles at most RESUMES_PER_RUN entries, two Stripe calls each.
      timeout: Duration.minutes(2),
      memorySize: 256,
    });
    this.schedule = runOnSchedule(this, this.function, {
      rate: PAUSE_RESUMER_RATE,
      description: `Resumes app pauses whose time has come (${props.stage.name})`,
      what: 'resumer',
    });

    this.createAlarms(props.alarmTopic);
  }

  private createAlarms(topic: ITopic): void {
    const period = PAUSE_RESUMER_RATE;
    const leftOver = new MetricFilter(this, 'LeftOverFilter', {
      logGroup: this.function.logGroup,
      metricNamespace: metricNamespace(this),
      metricName: 'PauseResumesLeftOver',
      filterPattern: FilterPattern.literal(`{ $.message = "${RUN_LOG_MESSAGE}" && $.failed > 0 }`),
      metricValue: '1',
      defaultValue: 0,
    }).metric({ statistic: 'Sum', period });

    const alarm = (alarmId: string, metric: IMetric, threshold: number, evaluationPeriods: number, description: string, below = false) => {
      const created = new Alarm(this, alarmId, {
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods,
        comparisonOperator: below ? ComparisonOperator.LESS_THAN_THRESHOLD : ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // No data on invocations means the schedule stopped: that is the failure to report.
        treatMissingData: below ? TreatMissingData.BREACHING : TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(new SnsAction(topic));
      created.addOkAction(new SnsAction(topic));
    };
    alarm('Errors', this.function.metricErrors({ period }), 1, 1, 'The pause resumer Lambda is failing: app pauses are not being resumed.');
    // One failed entry is retried by the next run; three runs in a row leaving some means something is stuck.
    alarm('LeftOver', leftOver, 1, 3, 'The pause resumer has left due pauses unresumed for three runs (Stripe or the table failing for them).');
    alarm(
      'NotRunning',
      this.function.metricInvocations({ period: Duration.minutes(15), statistic: 'Sum' }),
      1,
      1,
      'The pause resumer has not run for 15 minutes: check its EventBridge schedule.',
      true,
    );
  }
}
