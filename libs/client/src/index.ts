export { createCountersignClient } from './client';
export type {
  Approval,
  ApprovalOutcome,
  ApprovalRequest,
  ApprovalStatus,
  CountersignClient,
  CountersignClientOptions,
  RequestApprovalOptions,
  WaitOptions,
} from './types';
export {
  CountersignAuthenticationError,
  CountersignConflictError,
  CountersignError,
  CountersignInvalidRequestError,
  CountersignNotFoundError,
  CountersignQuotaError,
  CountersignRefusedError,
  CountersignTimeoutError,
  CountersignUnavailableError,
  type CountersignErrorDetails,
} from './errors';
