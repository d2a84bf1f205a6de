/**
 * Errors of the local cloud. `AwsApiError`s are what the wire layer turns into AWS-shaped
 * error responses; `SimulationUsageError` means the simulator drove a model wrongly
 * (time going backwards, an unknown task). Callers branch on `instanceof`.
 */

export class LocalCloudError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The simulator (not an API client) misused a model. Never sent over the wire. */
export class SimulationUsageError extends LocalCloudError {}

/** The error codes the local ECS answers with (awsJson1_1 `__type`). */
export type EcsErrorCode =
  | 'ClusterNotFoundException'
  | 'ServiceNotFoundException'
  | 'InvalidParameterException'
  | 'ClientException'
  | 'AccessDeniedException'
  | 'ThrottlingException'
  | 'ServerException'
  | 'SerializationException'
  | 'UnknownOperationException';

/** The query-compatible error codes the local CloudWatch answers with (`x-amzn-query-error`). */
export type CloudWatchErrorCode =
  | 'InvalidParameterValue'
  | 'InvalidParameterCombination'
  | 'MissingParameter'
  | 'InvalidNextToken'
  | 'ValidationError'
  | 'LimitExceeded'
  | 'Throttling'
  | 'InternalServiceError'
  | 'ServiceUnavailable'
  | 'MalformedInput'
  | 'InvalidAction'
  | 'UnknownOperationException';

/** An API request failed the way the real service fails it. */
export abstract class AwsApiError extends LocalCloudError {
  abstract readonly code: string;
  abstract readonly httpStatus: number;
}

const ECS_STATUS: Readonly<Record<EcsErrorCode, number>> = {
  ClusterNotFoundException: 400,
  ServiceNotFoundException: 400,
  InvalidParameterException: 400,
  ClientException: 400,
  AccessDeniedException: 400,
  ThrottlingException: 400,
  ServerException: 500,
  SerializationException: 400,
  UnknownOperationException: 400,
};

export class EcsApiError extends AwsApiError {
  readonly httpStatus: number;
  constructor(
    readonly code: EcsErrorCode,
    message: string,
  ) {
    super(message);
    this.httpStatus = ECS_STATUS[code];
  }
}

interface CloudWatchErrorShape {
  readonly httpStatus: number;
  readonly fault: 'Sender' | 'Receiver';
  /** The modelled Smithy shape carrying this query code, if CloudWatch models one. */
  readonly shape?: string;
}

const CLOUDWATCH_ERRORS: Readonly<Record<CloudWatchErrorCode, CloudWatchErrorShape>> = {
  InvalidParameterValue: { httpStatus: 400, fault: 'Sender', shape: 'InvalidParameterValueException' },
  InvalidParameterCombination: {
    httpStatus: 400,
    fault: 'Sender',
    shape: 'InvalidParameterCombinationException',
  },
  MissingParameter: { httpStatus: 400, fault: 'Sender', shape: 'MissingRequiredParameterException' },
  InvalidNextToken: { httpStatus: 400, fault: 'Sender', shape: 'InvalidNextToken' },
  ValidationError: { httpStatus: 400, fault: 'Sender', shape: 'ValidationException' },
  LimitExceeded: { httpStatus: 400, fault: 'Sender', shape: 'LimitExceededFault' },
  Throttling: { httpStatus: 400, fault: 'Sender' },
  InternalServiceError: { httpStatus: 500, fault: 'Receiver', shape: 'InternalServiceFault' },
  ServiceUnavailable: { httpStatus: 503, fault: 'Receiver' },
  MalformedInput: { httpStatus: 400, fault: 'Sender' },
  InvalidAction: { httpStatus: 400, fault: 'Sender' },
  UnknownOperationException: { httpStatus: 400, fault: 'Sender' },
};

export class CloudWatchApiError extends AwsApiError {
  readonly httpStatus: number;
  readonly fault: 'Sender' | 'Receiver';
  /** The `__type` of the JSON body: the Smithy shape id when modelled, else the query code. */
  readonly type: string;
  constructor(
    readonly code: CloudWatchErrorCode,
    message: string,
  ) {
    super(message);
    const shape = CLOUDWATCH_ERRORS[code];
    this.httpStatus = shape.httpStatus;
    this.fault = shape.fault;
    this.type = shape.shape === undefined ? code : `com.amazonaws.cloudwatch#${shape.shape}`;
  }
}
