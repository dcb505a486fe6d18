import { useEffect, useState } from 'react';
import { useTitle } from '../format';
import { startAuthentication } from '@simplewebauthn/browser';
import { type PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/browser';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { api, type Person, type SsoProviders } from '../api';
import { useSession } from '../session';
import { useAction } from '../use-action';

/** Where to go after signing in: only a path on this site (never `//elsewhere`). */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/inbox';
}

/**
 * Why single sign-on came back without a session (`/sign-in?sso_error=<reason>&provider=<id>`), in words. `provider`
 * is the provider's name, or "your organization": it never starts a sentence.
 */
export function ssoErrorMessage(reason: string, provider: string): string {
  switch (reason) {
    case 'no_account':
      return `The account you used at ${provider} is not linked to anyone in Countersign. Ask an admin to add you with the same email address.`;
    case 'email_not_verified':
      return `Your email address is not verified at ${provider}, so Countersign cannot match it to your account. Verify it there, or ask an admin.`;
    case 'account_disabled':
      return 'Your Countersign account is disabled. Ask an admin if you think this is a mistake.';
    case 'idp_unavailable':
      return `Countersign cannot reach ${provider} right now, so you could not be signed in. Try again in a moment; sessions that are already open keep working.`;
    case 'idp_error':
      return `The sign-in at ${provider} did not complete (it was cancelled or refused). Try again.`;
    case 'invalid_state':
      return 'This sign-in expired, was already used, or was started in another browser. Start again.';
    case 'invalid_response':
      return `The answer from ${provider} could not be verified, so you were not signed in. Try again, and tell an admin if it keeps happening.`;
    case 'unknown_provider':
      return 'This sign-in option is not configured. Choose one of the options below.';
    default:
      return 'Single sign-on did not complete. Try again.';
  }
}

export function SignInPage() {
  useTitle('Sign in');
  const { person, signedIn } = useSession();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const { busy, error, run } = useAction();
  const [sso, setSso] = useState<SsoProviders | null>(null);
  const next = safeNext(params.get('next'));
  const ssoError = params.get('sso_error');

  useEffect(() => {
    let live = true;
    api
      .get<SsoProviders>('/v1/auth/sso')
      .then((answer) => live && setSso(answer))
      .catch(() => live && setSso({ providers: [], required: false }));
    return () => {
      live = false;
    };
  }, []);

  if (person) return <Navigate to={next} replace />;

  const signIn = async () => {
    await run(async () => {
      const options = await api.post<PublicKeyCredentialRequestOptionsJSON>('/v1/auth/login/options', {});
      const response = await startAuthentication({ optionsJSON: options });
      signedIn(await api.post<{ person: Person; csrf_token: string }>('/v1/auth/login/verify', { response }));
      void navigate(next, { replace: true });
    });
  };

  const providerId = params.get('provider') ?? '';
  const providerName = sso?.providers.find((provider) => provider.id === providerId)?.name ?? 'your organization';
  const passkeys = sso !== null && !sso.required;

  return (
    <main id="main" className="narrow">
      <section className="card sign-in">
        <h1>Sign in to Countersign</h1>
        <p>
          Countersign asks you before AI agents do things that matter.{' '}
          {sso?.required
            ? 'Sign in with your organization'
            : sso && sso.providers.length > 0
              ? 'Sign in with your organization or with a passkey'
              : 'Sign in with the passkey on this device (or your phone)'}{' '}
          to see what is waiting for you.
        </p>
        {/* Once the providers are known (or failed to load), so the message names the provider from the start. */}
        {ssoError && sso && (
          <p className="error" role="alert">
            {ssoErrorMessage(ssoError, providerName)}
          </p>
        )}
        {sso && sso.providers.length > 0 && (
          <ul className="sso-providers" aria-label="Sign in with your organization">
            {sso.providers.map((provider) => (
              <li key={provider.id}>
                <a
                  className="button primary large"
                  href={`/v1/auth/sso/${encodeURIComponent(provider.id)}/start?next=${encodeURIComponent(next)}`}
                >
                  Sign in with {provider.name}
                </a>
              </li>
            ))}
          </ul>
        )}
        {passkeys && (
          <button
            type="button"
            className={`button large ${sso.providers.length > 0 ? '' : 'primary'}`}
            onClick={() => void signIn()}
            disabled={busy}
          >
            {busy ? 'Waiting for your passkey…' : 'Sign in with a passkey'}
          </button>
        )}
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        {passkeys && <p className="hint">No passkey yet? An admin sends you an enrollment link; open it on the device you want to use.</p>}
        {sso?.required && (
          <p className="hint">This deployment signs people in through their organization. Passkeys still confirm risky approvals.</p>
        )}
      </section>
    </main>
  );
}
