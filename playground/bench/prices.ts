/**
 * The one price table the controller-cost bench prices its counts with: AWS list prices,
 * us-east-1, on-demand, without free tiers (they are per account and shared with everything
 * else in it). Read on 2026-12-01 from the pages named in `sources`; re-read them before
 * relying on the figures.
 */

export const PRICES = {
  readOn: '2026-12-01',
  region: 'us-east-1',
  lambda: {
    /** Per request (invocation). */
    perMillionRequests: 0.2,
    /** Per GB-second of duration, Arm (the functions run on ARM_64: infra/lambda-bundling.ts), first 7.5 billion. */
    perGbSecondArm: 0.0000133334,
    perGbSecondX86: 0.0000166667,
  },
  cloudwatch: {
    /** GetMetricData: per 1,000 metrics requested. */
    getMetricDataPerThousandMetrics: 0.01,
    /** A custom metric (name × dimension values) per month, first 10,000; prorated by the hour it is sent in. */
    customMetricPerMonth: 0.3,
    /** Logs ingested (standard class), per GB, first 10 TB. */
    logsIngestionPerGb: 0.5,
    /** Logs stored, per GB-month (compressed; priced uncompressed here, an upper bound). */
    logsStoragePerGbMonth: 0.03,
    /** A standard-resolution metric alarm per month. */
    alarmPerMonth: 0.1,
    /** A custom dashboard per month (beyond the first 3 of the account). */
    dashboardPerMonth: 3,
  },
  dynamodb: {
    /** On-demand, standard table class (after the 2024-11 price cut). */
    perMillionWriteRequestUnits: 0.625,
    perMillionReadRequestUnits: 0.125,
  },
  xray: {
    /** Traces recorded (Lambda active tracing samples every request at this rate). */
    perMillionTracesRecorded: 5,
  },
  /** The ECS API (DescribeServices, ListTasks, DescribeTasks, UpdateService, StopTask, UpdateTaskProtection). */
  ecs: { perRequest: 0 },
  /** EventBridge: a scheduled rule and the ECS task state change events (AWS service events) are free. */
  eventBridge: { perEvent: 0 },
  sources: {
    lambda: 'https://aws.amazon.com/lambda/pricing/',
    cloudwatch: 'https://aws.amazon.com/cloudwatch/pricing/',
    getMetricData:
      'https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html (“a different pricing structure”); https://repost.aws/knowledge-center/cloudwatch-getmetricdata-api',
    dynamodb: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
    xray: 'https://aws.amazon.com/xray/pricing/',
    ecs: 'https://aws.amazon.com/ecs/pricing/',
    eventBridge: 'https://aws.amazon.com/eventbridge/pricing/',
  },
} as const;

/** Hours per month as AWS prorates them (730). */
export const HOURS_PER_MONTH = 730;
