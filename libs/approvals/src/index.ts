export { AgentControlService } from './agent-control.service';
export { type EscalationStepTaken } from './approval-escalation';
export {
  APPROVAL_OUTREACH,
  APPROVAL_WATCHER,
  type ApprovalOutreach,
  type ApprovalWatcher,
  ApprovalLifecycleService,
} from './approval-lifecycle.service';
export { type AdminOverview, type AgentApprovalView, ApprovalReportsService, MAX_OVERVIEW_DAYS } from './approval-reports.service';
export {
  type ApprovalRequest,
  approvalRequestJsonSchema,
  parseApprovalRequest,
  parseIdempotencyKey,
  parseIntake,
} from './approval-request';
export {
  AGENT_CLAIM_LABEL,
  type AgentDecisionView,
  approvalSummary,
  type ApprovalSummary,
  type ApprovalView,
  approverView,
  type ApproverView,
  type InboxItem,
} from './approval-view';
export { ApprovalsModule, KillSwitchModule } from './approvals.module';
export { ApprovalsService, MAX_WAIT_SECONDS } from './approvals.service';
export { ApproverService } from './approver.service';
export {
  activityFromRow,
  type ActivityRow,
  APPROVAL_ACTIVITY_SQL,
  type ApprovalActivity,
  type NotificationView,
} from './decision.repository';
export {
  type ApprovalRecord,
  eligibleEntriesOf,
  isUuid,
  LADDER_LENGTH_SQL,
  NEXT_STEP_AFTER_SQL,
  type StoredClassification,
} from './approval.repository';
export { CallbacksService } from './callbacks.service';
export {
  actionOf,
  type AuthorizationDetail,
  BackchannelRefusal,
  type BackchannelRequest,
  MAX_BINDING_MESSAGE,
  MAX_CLIENT_NOTIFICATION_TOKEN,
  parseBackchannelRequest,
  SUPPORTED_SCOPES,
} from './ciba-request';
export { type BackchannelAnswer, CibaService, type CibaTokenAnswer, SLOW_DOWN_SECONDS } from './ciba.service';
export { validateCallbackUrl } from './callback-url';
export { decisionBody, type DecisionChannel, type DecisionInput, DecisionService, parseDecisionInput } from './decision.service';
export { IntakeService } from './intake.service';
export { KillSwitchService, type Suspension } from './kill-switch.service';
export { agentRoom, approverRooms, LiveEvents, liveEventsKey, personRooms } from './live-events';
