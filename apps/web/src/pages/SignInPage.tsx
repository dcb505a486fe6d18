import { useTitle } from '../format';
import { startAuthentication } from '@simplewebauthn/browser';
import { type PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/browser';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { api, type Person } from '../api';
import { useSession } from '../session';
import { useAction } from '../use-action';

/** Where to go after signing in: only a path on this site (never `//elsewhere`). */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/inbox';
}

export function SignInPage() {
  useTitle('Sign in');
  const { person, signedIn } = useSession();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const { busy, error, run } = useAction();
  const next = safeNext(params.get('next'));

  if (person) return <Navigate to={next} replace />;

  const signIn = async () => {
    await run(async () => {
      const options = await api.post<PublicKeyCredentialRequestOptionsJSON>('/v1/auth/login/options', {});
      const response = await startAuthentication({ optionsJSON: options });
      signedIn(await api.post<{ person: Person; csrf_token: string }>('/v1/auth/login/verify', { response }));
      void navigate(next, { replace: true });
    });
  };

  return (
    <main id="main" className="narrow">
      <section className="card sign-in">
        <h1>Sign in to Countersign</h1>
        <p>
          Countersign asks you before AI agents do things that matter. Sign in with the passkey on this device (or your phone) to see what
          is waiting for you.
        </p>
        <button type="button" className="button primary large" onClick={() => void signIn()} disabled={busy}>
          {busy ? 'Waiting for your passkey…' : 'Sign in with a passkey'}
        </button>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <p className="hint">No passkey yet? An admin sends you an enrollment link; open it on the device you want to use.</p>
      </section>
    </main>
  );
}
