import { useTitle } from '../format';
import { type PublicKeyCredentialCreationOptionsJSON, startRegistration } from '@simplewebauthn/browser';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { api, type Person } from '../api';
import { useSession } from '../session';
import { useAction } from '../use-action';

/** The enrollment token from `/enroll#token=…` (a fragment, so it never reaches a server log). */
function tokenFromHash(hash: string): string | null {
  const token = new URLSearchParams(hash.replace(/^#/, '')).get('token');
  return token && /^[A-Za-z0-9_-]{43}$/.test(token) ? token : null;
}

export function EnrollPage() {
  useTitle('Set up your passkey');
  const { signedIn } = useSession();
  const navigate = useNavigate();
  const [token] = useState(() => tokenFromHash(window.location.hash));
  const { busy, error, run } = useAction();

  const enroll = async () => {
    if (!token) return;
    await run(async () => {
      const options = await api.post<PublicKeyCredentialCreationOptionsJSON>('/v1/auth/enrollment/options', { token });
      const response = await startRegistration({ optionsJSON: options });
      signedIn(await api.post<{ person: Person; csrf_token: string }>('/v1/auth/enrollment/verify', { token, response }));
      // The link is used up; keep it out of the history.
      window.history.replaceState(null, '', '/enroll');
      void navigate('/inbox', { replace: true });
    });
  };

  return (
    <main id="main" className="narrow">
      <section className="card sign-in">
        <h1>Set up your passkey</h1>
        {token ? (
          <>
            <p>
              You have been invited to approve or deny what AI agents ask to do on your behalf. Create a passkey on this device: it is how
              you sign in and how you confirm risky approvals. No password needed.
            </p>
            <button type="button" className="button primary large" onClick={() => void enroll()} disabled={busy}>
              {busy ? 'Waiting for your passkey…' : 'Create my passkey'}
            </button>
          </>
        ) : (
          <p className="error" role="alert">
            This enrollment link is incomplete. Open the whole link you were sent, or ask an admin for a new one.
          </p>
        )}
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
      </section>
    </main>
  );
}
