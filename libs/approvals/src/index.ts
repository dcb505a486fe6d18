export { ApprovalLifecycleService } from './approval-lifecycle.service';
export { type ApprovalRequest, parseApprovalRequest } from './approval-request';
export { type ApprovalView } from './approval-view';
export { ApprovalsModule } from './approvals.module';
export { ApprovalsService, MAX_WAIT_SECONDS } from './approvals.service';
export { CallbacksService } from './callbacks.service';
export { isPrivateAddress, validateCallbackUrl } from './callback-url';
export { IntakeService } from './intake.service';
