export { createCountersignClient } from './client.js';
export type {
  AgentDecision,
  Approval,
  ApprovalOutcome,
  ApprovalRequest,
  ApprovalStatus,
  Classification,
  CountersignClient,
  CountersignClientOptions,
  CreateApprovalOptions,
  Notification,
  Problem,
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
