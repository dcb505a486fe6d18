import { validateOutboundUrl } from '@countersign/domain';

/** At intake: the callback URL under the outbound address rules (`validateOutboundUrl`). */
export function validateCallbackUrl(value: string, allowPrivate: boolean): URL {
  return validateOutboundUrl(value, allowPrivate, 'callback_url', '/callback_url');
}
