export { createCountersignClient } from './client.js';
export type {
  Approval,
  ApprovalOutcome,
  ApprovalRequest,
  ApprovalStatus,
  CountersignClient,
  CountersignClientOptions,
  RequestApprovalOptions,
  WaitOptions,
} from './types.js';
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
} from './errors.js';
