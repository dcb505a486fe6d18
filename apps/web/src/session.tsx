import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { api, ApiError, type Me, type Person, setCsrfToken } from './api';

interface SessionState {
  /** undefined while loading, null when signed out. */
  person: Person | null | undefined;
  /** Call after sign-in or enrollment with the API's answer. */
  signedIn: (answer: { person: Person; csrf_token: string }) => void;
  signOut: () => Promise<void>;
  /** Reload who I am (after my session may have ended). */
  refresh: () => Promise<void>;
}

const SessionContext = createContext<SessionState | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [person, setPerson] = useState<Person | null | undefined>(undefined);

  const refresh = useCallback(async () => {
    try {
      const me = await api.get<Me>('/v1/me');
      setCsrfToken(me.csrf_token);
      setPerson(me.person);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        setCsrfToken(null);
        setPerson(null);
      } else {
        setPerson(null);
      }
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  const signedIn = useCallback((answer: { person: Person; csrf_token: string }) => {
    setCsrfToken(answer.csrf_token);
    setPerson(answer.person);
  }, []);

  const signOut = useCallback(async () => {
    try {
      await api.post('/v1/auth/logout');
    } finally {
      setCsrfToken(null);
      setPerson(null);
    }
  }, []);

  const value = useMemo(() => ({ person, signedIn, signOut, refresh }), [person, signedIn, signOut, refresh]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}

/** The signed-in person; only inside routes guarded by RequireSignIn. */
export function usePerson(): Person {
  const { person } = useSession();
  if (!person) throw new Error('usePerson outside a signed-in route');
  return person;
}
