export { CONFIG_VARIABLES, type CountersignConfig, ConfigError, loadConfig, type OidcProviderConfig, SENSITIVE_VARIABLES } from './config';
export { CONFIG, ConfigModule } from './config.module';
export { checkedLookup, outboundAgents, RefusedAddressError, refusedAddressOf } from './outbound';
export { createMailer, type MailMessage, MAILER, Mailer, type MailSent, SmtpError, smtpError } from './mailer';
