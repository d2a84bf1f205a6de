/**
 * Names shared by the functions and the CDK app, defined once: the table's key schema and
 * the EMF metrics the functions publish. Pure constants (infra may import them).
 */

/** The autoscaler's single DynamoDB table. */
export const TABLE_KEY = {
  /** `APP#<appId>` */
  partitionKey: 'pk',
  /** `SCALER`, `DECISION#<iso time>#<id>`, `TASK#<taskId>`, `PARTITION#<000000>` */
  sortKey: 'sk',
  /** Epoch seconds; set on decision items only. */
  ttlAttribute: 'ttl',
} as const;

/**
 * The EMF metrics the functions publish: namespace and names. Powertools adds the
 * dimensions `service` (POWERTOOLS_SERVICE_NAME) and `appId` to each.
 */
export const AUTOSCALER_METRICS = {
  namespace: 'FlinkEcsAutoscaler',
  desiredTaskManagers: 'DesiredTaskManagers',
  recommendedTaskManagers: 'RecommendedTaskManagers',
  averageLoad: 'AverageLoad',
  /** One datapoint per decision, with the extra dimension `Reason`. */
  decisions: 'Decisions',
  failovers: 'Failovers',
  partitionsMoved: 'PartitionsMoved',
} as const;
