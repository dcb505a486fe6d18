import { type INestApplicationContext } from '@nestjs/common';
import {
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import { CLI } from '@countersign/audit';
import { EnrollmentService, type PersonRecord, type Role } from '@countersign/people';
import { type JsonResponse } from './harness';
import { type GetAssertionBehaviour, SoftAuthenticator } from './soft-authenticator';

let counter = 0;

/**
 * A person at a browser: a cookie jar of one session cookie, the session's CSRF token, the page's Origin, and a
 * software authenticator holding their passkeys. It speaks the JSON API exactly as the web app does.
 */
export class PersonBrowser {
  cookie: string | null = null;
  csrfToken: string | null = null;

  constructor(
    readonly apiUrl: string,
    readonly authenticator = new SoftAuthenticator(),
    readonly origin = apiUrl,
  ) {}

  async request<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<JsonResponse<T>> {
    const sent: Record<string, string> = { origin: this.origin, ...headers };
    if (this.cookie) sent.cookie = this.cookie;
    if (this.csrfToken && method !== 'GET') sent['x-csrf-token'] ??= this.csrfToken;
    if (body !== undefined) sent['content-type'] = 'application/json';
    const response = await fetch(`${this.apiUrl}${path}`, {
      method,
      headers: sent,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const setCookie = response.headers.get('set-cookie');
    if (setCookie) {
      const [pair] = setCookie.split(';');
      this.cookie = pair.endsWith('=') ? null : pair;
    }
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : {}) as T };
  }

  /** Opens an enrollment link: creation options, the authenticator makes a passkey, verify; signed in after. */
  async enroll(enrollmentUrl: string): Promise<JsonResponse> {
    const token = new URL(enrollmentUrl).hash.replace(/^#token=/, '');
    const options = await this.request<PublicKeyCredentialCreationOptionsJSON>('POST', '/v1/auth/enrollment/options', { token });
    if (options.status !== 200) return options as unknown as JsonResponse;
    const response = this.authenticator.createCredential(options.body, this.origin);
    return this.signedIn(await this.request('POST', '/v1/auth/enrollment/verify', { token, response }));
  }

  async signIn(email?: string, behaviour: GetAssertionBehaviour = {}): Promise<JsonResponse> {
    const options = await this.request<PublicKeyCredentialRequestOptionsJSON>('POST', '/v1/auth/login/options', email ? { email } : {});
    const response = this.authenticator.getAssertion(options.body, this.origin, behaviour);
    return this.signedIn(await this.request('POST', '/v1/auth/login/verify', { response }));
  }

  /** A step-up assertion for one approval, signed by this browser's passkey. */
  async stepUp(approvalId: string, behaviour: GetAssertionBehaviour = {}): Promise<AuthenticationResponseJSON> {
    const options = await this.request<PublicKeyCredentialRequestOptionsJSON>('POST', `/v1/me/approvals/${approvalId}/step-up`);
    if (options.status !== 200) throw new Error(`step-up options answered ${options.status}: ${JSON.stringify(options.body)}`);
    return this.authenticator.getAssertion(options.body, this.origin, behaviour);
  }

  /** Decides as the web app does: opens the approval, confirms with the passkey when asked to, then decides. */
  async decide(
    approvalId: string,
    verdict: 'approve' | 'deny',
    options: { reason?: string; stepUp?: boolean } = {},
  ): Promise<JsonResponse> {
    const stepUp = options.stepUp ? await this.stepUp(approvalId) : undefined;
    return this.request('POST', `/v1/me/approvals/${approvalId}/decision`, {
      verdict,
      ...(options.reason ? { reason: options.reason } : {}),
      ...(stepUp ? { step_up: stepUp } : {}),
    });
  }

  private signedIn(response: JsonResponse): JsonResponse {
    if (response.status === 200) this.csrfToken = response.body.csrf_token as string;
    return response;
  }
}

/** A person invited through the real services, enrolled with a software passkey, signed in at a browser. */
export async function signedInPerson(
  app: INestApplicationContext,
  apiUrl: string,
  overrides: Partial<{ email: string; role: Role; permissions: string[] }> = {},
): Promise<{ person: PersonRecord; browser: PersonBrowser }> {
  const email = overrides.email ?? `person-${Date.now().toString(36)}-${(counter++).toString(36)}@example.com`;
  const { person, enrollment } = await app
    .get(EnrollmentService)
    .invite(CLI, { email, role: overrides.role ?? 'approver', permissions: overrides.permissions ?? ['*'] });
  const browser = new PersonBrowser(apiUrl);
  const enrolled = await browser.enroll(enrollment!.url);
  if (enrolled.status !== 200) throw new Error(`enrollment answered ${enrolled.status}: ${JSON.stringify(enrolled.body)}`);
  return { person, browser };
}
