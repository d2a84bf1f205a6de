/**
 * The autoscaler's single DynamoDB table, defined once: the CDK stack reads TABLE_KEY, and
 * tests and the local simulation create the same table with createTable.
 */
import {
  CreateTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { TABLE_KEY } from '../core/schema.js';
import { callAws, toDependencyError } from './errors.js';

export { TABLE_KEY };

/**
 * Creates the table (on-demand capacity) and waits until it is ACTIVE. A table that already
 * exists is waited for, not recreated. TTL is not enabled here: dynalite does not support it;
 * the CDK stack enables it on TABLE_KEY.ttlAttribute.
 */
export async function createTable(
  client: DynamoDBClient,
  tableName: string,
  maxWaitSeconds = 120,
): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [
          { AttributeName: TABLE_KEY.partitionKey, AttributeType: 'S' },
          { AttributeName: TABLE_KEY.sortKey, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: TABLE_KEY.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE_KEY.sortKey, KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) {
      throw toDependencyError(`DynamoDB CreateTable ${tableName}`, error);
    }
  }
  await callAws(`DynamoDB waiting for table ${tableName} to become ACTIVE`, () =>
    waitUntilTableExists(
      { client, maxWaitTime: maxWaitSeconds, minDelay: 1, maxDelay: 5 },
      { TableName: tableName },
    ),
  );
}
