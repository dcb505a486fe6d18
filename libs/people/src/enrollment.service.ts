import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import {
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { type Actor, AuditEventType, AuditService, SYSTEM } from '@countersign/audit';
import { CONFIG, type CountersignConfig, MAILER, type Mailer } from '@countersign/config';
import { type EnrollmentLink } from '@countersign/contract';
import { Database } from '@countersign/database';
import { DomainError } from '@countersign/domain';
import { CredentialsRepository } from './credentials.repository';
import { renderEnrollmentEmail } from './enrollment-mail';
import { parseCredentialResponse, PasskeyService, type PasskeyView } from './passkey.service';
import { PeopleRepository, type PersonRecord } from './people.repository';
import { type AddPerson, PeopleService } from './people.service';
import { type NewSession, type PersonSession, SessionService } from './session.service';

/** Instances starting within this long of each other print one bootstrap link between them. */
const BOOTSTRAP_LINK_REUSE_MS = 60_000;

/** An enrollment link is valid this long and once. */
export const ENROLLMENT_LINK_TTL_MS = 24 * 3_600_000;

/** A one-time enrollment link on the wire (libs/contract). */
export type { EnrollmentLink };

export interface SignedIn {
  person: PersonRecord;
  session: NewSession;
}

/** How people get and use passkeys: invitations with one-time enrollment links, sign-in, their own passkeys. */
@Injectable()
export class EnrollmentService {
  private readonly logger = new Logger(EnrollmentService.name);

  constructor(
    @Inject(CONFIG) private readonly config: CountersignConfig,
    private readonly database: Database,
    private readonly people: PeopleService,
    private readonly peopleRepository: PeopleRepository,
    private readonly credentials: CredentialsRepository,
    private readonly passkeys: PasskeyService,
    private readonly sessions: SessionService,
    private readonly audit: AuditService,
    /** With SMTP configured, links are emailed to the person too (ConfigModule provides it, null without SMTP_URL). */
    @Optional() @Inject(MAILER) private readonly mailer: Mailer | null = null,
  ) {}

  /**
   * Adds a person and returns their enrollment link (emailed to them too when SMTP is configured). Under REQUIRE_SSO
   * no link is issued (null): it could not be used, and the person signs in through their organization instead.
   */
  async invite(actor: Actor, input: AddPerson): Promise<{ person: PersonRecord; enrollment: EnrollmentLink | null }> {
    const person = await this.people.add(actor, input);
    return { person, enrollment: this.config.requireSso ? null : await this.issueLink(actor, person.id) };
  }

  /**
   * A new single-use link for a person (earlier unused links stop working), emailed to them when SMTP is configured.
   * Refused under REQUIRE_SSO (403 `sso_required`), where the link would be refused when opened.
   */
  async issueLink(actor: Actor, reference: string): Promise<EnrollmentLink> {
    this.refuseWhenSsoRequired('enrollment links are');
    const { person, link } = (await this.issueLinkUnless(actor, reference, 0))!;
    return this.emailLink(actor, person, link);
  }

  /**
   * Emails the link to the person's address, after the link's transaction (no row lock held across SMTP), and audits
   * that it did, or why not. A mail that fails does not undo the link: the caller gets it with `emailed: false` and
   * can hand it over another way. The log never holds the token of an emailed link.
   */
  private async emailLink(actor: Actor, person: PersonRecord, link: Omit<EnrollmentLink, 'emailed'>): Promise<EnrollmentLink> {
    if (!this.mailer) return { ...link, emailed: false };
    try {
      await this.mailer.send({ to: person.email, ...renderEnrollmentEmail(link, this.config.publicUrl) });
    } catch (error) {
      const detail = (error as Error).message.slice(0, 500);
      this.logger.warn(`the enrollment link for ${person.email} could not be emailed: ${detail}`);
      await this.audit.record(actor, [
        { type: AuditEventType.EnrollmentLinkEmailFailed, subject: { type: 'person', id: person.id }, data: { detail } },
      ]);
      return { ...link, emailed: false };
    }
    await this.audit.record(actor, [
      {
        type: AuditEventType.EnrollmentLinkEmailed,
        subject: { type: 'person', id: person.id },
        data: { to: person.email, expires_at: link.expires_at },
      },
    ]);
    return { ...link, emailed: true };
  }

  /**
   * Issues a link unless one was issued for the person within `recentMs` (then null), deciding under a lock on
   * the person's row so instances starting together print one working link, not one each that void each other.
   */
  private async issueLinkUnless(
    actor: Actor,
    reference: string,
    recentMs: number,
  ): Promise<{ person: PersonRecord; link: Omit<EnrollmentLink, 'emailed'> } | null> {
    const person = await this.peopleRepository.findByReference(reference);
    if (!person) throw new DomainError('not_found', `no person ${JSON.stringify(reference)}`);
    if (person.status !== 'active')
      throw new DomainError('conflict', `${person.email} is disabled; enable them before issuing an enrollment link`);
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + ENROLLMENT_LINK_TTL_MS);
    const issued = await this.database.transaction(async (tx) => {
      await this.peopleRepository.lockForUpdate(tx, person.id);
      if (recentMs > 0 && (await this.credentials.hasLiveLinkSince(tx, person.id, new Date(Date.now() - recentMs)))) return false;
      await this.credentials.insertEnrollmentLink(tx, hashToken(token), person.id, expiresAt);
      await this.audit.append(tx, actor, [
        {
          type: AuditEventType.EnrollmentLinkIssued,
          subject: { type: 'person', id: person.id },
          data: { expires_at: expiresAt.toISOString() },
        },
      ]);
      return true;
    });
    return issued ? { person, link: { url: `${this.config.publicUrl}/enroll#token=${token}`, expires_at: expiresAt.toISOString() } } : null;
  }

  /**
   * First start: with no admin able to sign in, make sure the bootstrap admin exists and log a fresh link for
   * them, or say how to create one. Safe when several instances start at once (the email is unique).
   */
  async ensureFirstAdmin(): Promise<EnrollmentLink | null> {
    if (await this.credentials.hasAnyPasskey('admin')) return null;
    const email = this.config.bootstrapEmail;
    if (!email) {
      this.logger.warn(
        'no admin can sign in yet: set COUNTERSIGN_BOOTSTRAP_EMAIL, or run `npx countersign people add --email you@example.com --role admin`, and open the enrollment link it prints',
      );
      return null;
    }
    const existing = await this.peopleRepository.findByReference(email);
    if (existing && existing.role !== 'admin') {
      this.logger.warn(`COUNTERSIGN_BOOTSTRAP_EMAIL ${email} belongs to a ${existing.role}, not an admin: no enrollment link printed`);
      return null;
    }
    if (!existing) {
      try {
        await this.people.add(SYSTEM, { email, role: 'admin', permissions: ['*'] });
      } catch (error) {
        if (!(error instanceof DomainError && error.code === 'conflict')) throw error;
      }
    }
    if (this.config.requireSso) {
      // Enrollment links are refused under REQUIRE_SSO: the first admin signs in through the organization instead.
      this.logger.warn(
        `first admin ${email}: sign in through single sign-on with this email (the provider needs link_by_verified_email), then add a passkey in Settings`,
      );
      return null;
    }
    const issued = await this.issueLinkUnless(SYSTEM, email, BOOTSTRAP_LINK_REUSE_MS);
    if (!issued) {
      this.logger.warn(`first admin ${email}: another instance issued an enrollment link moments ago; use the one in its log or mail`);
      return null;
    }
    const link = await this.emailLink(SYSTEM, issued.person, issued.link);
    if (link.emailed)
      this.logger.warn(`first admin ${email}: an enrollment link was emailed to them (valid until ${link.expires_at}, once)`);
    else this.logger.warn(`first admin ${email}: enroll a passkey at ${link.url} (valid until ${link.expires_at}, once)`);
    return link;
  }

  async enrollmentOptions(token: unknown): Promise<PublicKeyCredentialCreationOptionsJSON> {
    this.refuseWhenSsoRequired('enrollment links are');
    const person = await this.linkedPerson(token);
    return this.passkeys.registrationOptions(person, 'enrollment');
  }

  /** Registers the first passkey through the link (used up only if the passkey is stored) and signs the person in. */
  async enroll(token: unknown, response: unknown, userAgent: string | null): Promise<SignedIn> {
    this.refuseWhenSsoRequired('enrollment links are');
    const person = await this.linkedPerson(token);
    const registration = parseCredentialResponse<RegistrationResponseJSON>(response, 'response');
    return this.database.transaction(async (tx) => {
      if (!(await this.credentials.enrollmentLink(tx, hashToken(token as string), true))) throw invalidLink();
      const passkey = await this.passkeys.register(tx, person, 'enrollment', registration, 'First passkey');
      const session = await this.sessions.create(tx, person, userAgent);
      await this.audit.append(tx, { type: 'person', id: person.id }, [
        {
          type: AuditEventType.PasskeyAdded,
          subject: { type: 'person', id: person.id },
          data: { passkey_id: passkey.id, via: 'enrollment_link' },
        },
        { type: AuditEventType.PersonSignedIn, subject: { type: 'person', id: person.id }, data: { method: 'passkey' } },
      ]);
      return { person, session };
    });
  }

  /** With an email: that person's passkeys are allowed; an unknown email gets the same discoverable options. */
  async loginOptions(email: unknown): Promise<PublicKeyCredentialRequestOptionsJSON> {
    this.refuseWhenSsoRequired('passkey-only sign-in is');
    if (email !== undefined && typeof email !== 'string')
      throw new DomainError('invalid_request', 'email must be a string', { field: 'email' });
    const person = email ? await this.people.findActive(email.trim().toLowerCase()) : null;
    return this.passkeys.loginOptions(person);
  }

  async login(response: unknown, userAgent: string | null): Promise<SignedIn> {
    this.refuseWhenSsoRequired('passkey-only sign-in is');
    const assertion = parseCredentialResponse<AuthenticationResponseJSON>(response, 'response');
    const personId = await this.passkeys.verifyLogin(assertion);
    const person = await this.people.findActive(personId);
    if (!person) throw new DomainError('unauthenticated', 'this account is disabled');
    return this.database.transaction(async (tx) => {
      const session = await this.sessions.create(tx, person, userAgent);
      await this.audit.append(tx, { type: 'person', id: person.id }, [
        {
          type: AuditEventType.PersonSignedIn,
          subject: { type: 'person', id: person.id },
          data: { method: 'passkey', passkey_id: assertion.id },
        },
      ]);
      return { person, session };
    });
  }

  async logout(session: PersonSession): Promise<void> {
    await this.sessions.end(session);
  }

  addPasskeyOptions(person: PersonRecord): Promise<PublicKeyCredentialCreationOptionsJSON> {
    return this.passkeys.registrationOptions(person, 'passkey');
  }

  async addPasskey(person: PersonRecord, response: unknown, name: unknown): Promise<PasskeyView> {
    const registration = parseCredentialResponse<RegistrationResponseJSON>(response, 'response');
    if (name !== undefined && typeof name !== 'string')
      throw new DomainError('invalid_request', 'name must be a string', { field: 'name' });
    const passkey = await this.database.transaction(async (tx) => {
      const added = await this.passkeys.register(tx, person, 'passkey', registration, name);
      await this.audit.append(tx, { type: 'person', id: person.id }, [
        { type: AuditEventType.PasskeyAdded, subject: { type: 'person', id: person.id }, data: { passkey_id: added.id, via: 'settings' } },
      ]);
      return added;
    });
    return (await this.passkeys.list(person)).find((view) => view.id === passkey.id)!;
  }

  /** Removes one of my passkeys; never the last one, so nobody locks themselves out. */
  async removePasskey(person: PersonRecord, id: string): Promise<void> {
    await this.database.transaction(async (tx) => {
      const outcome = await this.credentials.deletePasskeyUnlessLast(tx, person.id, id);
      if (outcome === 'not_found') throw new DomainError('not_found', 'no such passkey');
      if (outcome === 'last') throw new DomainError('conflict', 'this is your last passkey: add another before removing it');
      await this.audit.append(tx, { type: 'person', id: person.id }, [
        { type: AuditEventType.PasskeyRemoved, subject: { type: 'person', id: person.id }, data: { passkey_id: id } },
      ]);
    });
  }

  /** REQUIRE_SSO: people sign in through their organization only; passkeys still confirm (step-up) and can be added in settings. */
  private refuseWhenSsoRequired(what: string): void {
    if (this.config.requireSso)
      throw new DomainError('sso_required', `${what} turned off: this deployment requires single sign-on (sign in with your organization)`);
  }

  private async linkedPerson(token: unknown): Promise<PersonRecord> {
    if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(token))
      throw new DomainError('invalid_enrollment_link', 'the enrollment token is missing or malformed');
    const personId = await this.credentials.enrollmentLink(undefined, hashToken(token), false);
    const person = personId ? await this.people.findActive(personId) : null;
    if (!person) throw invalidLink();
    return person;
  }
}

function invalidLink(): DomainError {
  return new DomainError('invalid_enrollment_link', 'this enrollment link is unknown, used or expired; ask an admin for a new one');
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
