import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { tableDefinitions, tableNames } from '../connectors/singleview/tables.js';
import type { TableDefinition } from '../connectors/singleview/tables.js';

/**
 * deploy/aws/cloudformation.yaml, from the same table definitions the gateway
 * creates its tables by (connectors/singleview/tables.ts):
 *
 *   npm run deploy:template            writes the template
 *   npm run deploy:template -- --check fails when the file is stale
 *
 * Every table: on-demand capacity, point-in-time recovery, deletion
 * protection, kept when the stack is deleted, and TTL on the expiry
 * attribute where the gateway writes one. The table prefix is a parameter.
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const TEMPLATE_FILE = join(ROOT, 'deploy', 'aws', 'cloudformation.yaml');

const HEADER =
  '# Generated from connectors/singleview/tables.ts by `npm run deploy:template`. Do not edit:\n' +
  '# test/tables.test.ts fails when it is stale. Deploy: docs/deploy.md, "The DynamoDB tables".\n';

/** `rateLimits` → `RateLimitsTable`. */
export function logicalId(role: string): string {
  return `${role[0]!.toUpperCase()}${role.slice(1)}Table`;
}

const PREFIX_PARAMETER = 'TablePrefix';
/** Placeholder prefix the definitions are built with, replaced by the parameter. */
const PLACEHOLDER = '\u0000prefix\u0000';

function tableResource(definition: TableDefinition): Record<string, unknown> {
  const { create } = definition;
  const name = create.TableName!.replace(PLACEHOLDER, '');
  return {
    Type: 'AWS::DynamoDB::Table',
    DeletionPolicy: 'Retain',
    UpdateReplacePolicy: 'Retain',
    Properties: {
      TableName: { 'Fn::Sub': `\${${PREFIX_PARAMETER}}${name}` },
      BillingMode: create.BillingMode,
      AttributeDefinitions: create.AttributeDefinitions,
      KeySchema: create.KeySchema,
      ...(create.GlobalSecondaryIndexes ? { GlobalSecondaryIndexes: create.GlobalSecondaryIndexes } : {}),
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
      ...(definition.ttlAttribute ? { TimeToLiveSpecification: { AttributeName: definition.ttlAttribute, Enabled: true } } : {}),
    },
  };
}

export function cloudFormationTemplate(): Record<string, unknown> {
  const definitions = tableDefinitions(tableNames(PLACEHOLDER));
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: 'c360 single view: the DynamoDB tables the gateway reads and writes (on-demand, point-in-time recovery, TTL on expiring items)',
    Parameters: {
      [PREFIX_PARAMETER]: {
        Type: 'String',
        Default: 'c360_',
        AllowedPattern: '^[A-Za-z0-9_.-]{0,200}$',
        Description: 'C360_DYNAMODB_TABLE_PREFIX of the gateways that use these tables',
      },
    },
    Resources: Object.fromEntries(definitions.map((definition) => [logicalId(definition.role), tableResource(definition)])),
    Outputs: Object.fromEntries(
      definitions.map((definition) => [`${logicalId(definition.role)}Arn`, { Value: { 'Fn::GetAtt': [logicalId(definition.role), 'Arn'] } }]),
    ),
  };
}

export function templateText(): string {
  return `${HEADER}${stringify(cloudFormationTemplate(), { lineWidth: 0 })}`;
}

function main(): void {
  if (process.argv.includes('--check')) {
    const current = readFileSync(TEMPLATE_FILE, 'utf8');
    if (current !== templateText()) {
      console.error('deploy/aws/cloudformation.yaml is stale: run npm run deploy:template');
      process.exit(1);
    }
    console.log('deploy/aws/cloudformation.yaml matches the table definitions');
    return;
  }
  writeFileSync(TEMPLATE_FILE, templateText());
  console.log(`wrote ${TEMPLATE_FILE}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
