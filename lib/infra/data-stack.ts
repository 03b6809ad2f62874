/**
 * The stateful part of Linkout: the entitlement table and the Stripe secret. It changes rarely and
 * outlives the compute and site stacks, which can be destroyed and redeployed freely.
 */
import { CfnOutput, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AttributeType, Billing, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { tableDefinition } from '#adapters/dynamodb/table-definition';
import { type LinkoutStage, statefulRemovalPolicy } from './stage';

export interface DataStackProps extends StackProps {
  stage: LinkoutStage;
}

/** What ops store in the secret (README, deploy section). The template only ever holds this empty shape. */
const STRIPE_SECRET_TEMPLATE = { secretKey: '', webhookSecrets: '' };

export class DataStack extends Stack {
  readonly table: TableV2;
  readonly stripeSecret: Secret;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { stage } = props;
    const production = stage.settings.production;

    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: tableDefinition.partitionKey.name, type: AttributeType.STRING },
      sortKey: { name: tableDefinition.sortKey.name, type: AttributeType.STRING },
      timeToLiveAttribute: tableDefinition.timeToLiveAttribute,
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: production,
      removalPolicy: statefulRemovalPolicy(stage),
    });

    // Created with an empty placeholder: the real values are put by ops with
    // `aws secretsmanager put-secret-value`, so they never appear in a template or a diff.
    this.stripeSecret = new Secret(this, 'StripeSecret', {
      secretName: `linkout/${stage.name}/stripe`,
      description: 'Linkout Stripe keys, JSON with secretKey and webhookSecrets (comma-separated); see the README, deploy section',
      generateSecretString: {
        secretStringTemplate: JSON.stringify(STRIPE_SECRET_TEMPLATE),
        // The generator needs a key to fill; this one is ignored by the Lambdas.
        generateStringKey: 'placeholder',
        excludePunctuation: true,
      },
      // Keys set by hand must survive a stack replacement in every stage.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.stripeSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'Stripe API keys and webhook signing secrets are rolled in the Stripe dashboard, not by a rotation Lambda; the README describes the manual roll.',
    });

    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'StripeSecretName', {
      value: this.stripeSecret.secretName,
      description: 'Set with: aws secretsmanager put-secret-value --secret-id <name> --secret-string file://stripe.json',
    });
    new CfnOutput(this, 'StripeSecretArn', { value: this.stripeSecret.secretArn });
  }
}
