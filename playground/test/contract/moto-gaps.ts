/**
 * Where moto (5.2) and the AWS API reference disagree, for the contracts of
 * adapters.contract.test.ts: each entry names a contract, what moto does instead, and the
 * reference it breaks. The suite still runs the contract against moto and expects it to fail;
 * when a moto release fixes one, that test fails and the entry (and docs/local-cloud.md,
 * section "moto gaps") must go.
 */
export interface MotoGap {
  /** What moto does instead of what the reference says. */
  readonly moto: string;
  /** The AWS API reference page the behaviour breaks. */
  readonly reference: string;
}

export const MOTO_GAPS: Readonly<Record<string, MotoGap>> = {
  'ECS DescribeServices: desired, running and pending counts of a settled service': {
    moto: 'a service launches no tasks, so its PRIMARY deployment’s rolloutState stays IN_PROGRESS',
    reference: 'https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Deployment.html',
  },
  'ECS UpdateService forceNewDeployment: a new PRIMARY deployment, in progress': {
    moto: 'forceNewDeployment starts no new deployment: one PRIMARY, nothing ACTIVE',
    reference: 'https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html',
  },
  'ECS ListTasks + DescribeTasks: the service’s tasks, RUNNING': {
    moto: 'ListTasks ignores serviceName and lists every task of the cluster',
    reference: 'https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListTasks.html',
  },
  'ECS ListTasks serviceName: leaves out the other tasks of the cluster': {
    moto: 'ListTasks ignores serviceName and lists every task of the cluster',
    reference: 'https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListTasks.html',
  },
  'ECS DescribeTasks: an unknown task is reported missing, a known one described': {
    moto: 'an unknown task is left out silently, with no MISSING failure',
    reference: 'https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTasks.html',
  },
  'ECS StopTask: the task wants to stop and leaves ListTasks': {
    moto: 'ListTasks without desiredStatus also lists tasks whose desired status is STOPPED (the default filter is RUNNING)',
    reference: 'https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListTasks.html',
  },
  'ECS UpdateTaskProtection + GetTaskProtection: protected for the minutes asked': {
    moto: 'UpdateTaskProtection is not implemented (HTTP 500)',
    reference: 'https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateTaskProtection.html',
  },
  'CloudWatch GetMetricData: a same-named metric of another namespace never answers': {
    moto: 'a query whose dimensions match no metric exactly is answered with another namespace’s metric of that name and dimensions',
    reference:
      'https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Dimension',
  },
  'CloudWatch GetMetricData: standard-resolution data has no sub-minute points': {
    moto: 'standard-resolution (StorageResolution 60) points are returned at the 10 s period asked',
    reference: 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricStat.html',
  },
  'CloudWatch GetMetricData: a 10 s period returns nothing for data older than 3 hours': {
    moto: 'no rollup by age: 5-hour-old data is returned at a 10 s period',
    reference: 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricStat.html',
  },
  'CloudWatch PutMetricData: a StorageResolution other than 1 or 60 is InvalidParameterValue': {
    moto: 'StorageResolution 5 is accepted',
    reference: 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDatum.html',
  },
  'CloudWatch GetMetricData: a period of 7 s is InvalidParameterValue': {
    moto: 'a 7 s period is accepted',
    reference: 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricStat.html',
  },
};
