import { useEffect, useRef } from 'react';
import { NavLink, Outlet, useLocation, useNavigate } from 'react-router';
import { useSession } from '../session';

export function Layout() {
  const { person, signOut } = useSession();
  const navigate = useNavigate();
  const { pathname } = useLocation();
  const main = useRef<HTMLElement>(null);
  // After an in-app navigation, focus the new page (screen readers announce it; Tab starts from its top).
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus();
  }, [pathname]);
  const onSignOut = async () => {
    await signOut();
    void navigate('/sign-in', { replace: true });
  };
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <NavLink to="/inbox" className="brand" aria-label="Countersign, inbox">
          <img className="brand-mark" src="/favicon.svg" alt="" width={28} height={28} />
          <span className="brand-name">Countersign</span>
        </NavLink>
        <nav aria-label="Main">
          <ul>
            <li>
              <NavLink to="/inbox">Inbox</NavLink>
            </li>
            <li>
              <NavLink to="/settings">Settings</NavLink>
            </li>
            {person?.role === 'admin' && (
              <li>
                <NavLink to="/admin">Admin</NavLink>
              </li>
            )}
          </ul>
        </nav>
        <div className="who">
          <span className="who-name" title={person?.email}>
            {person?.display_name || person?.email}
          </span>
          <button type="button" className="link-button sign-out" onClick={() => void onSignOut()}>
            {/* On a phone the icon stands in for the words (still the button's name), leaving room for the name. */}
            <svg className="sign-out-icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
              <path
                d="M10 4H6a2 2 0 0 0-2 2v12a2 2 0 0 0 2 2h4M15 8l4 4-4 4M19 12H8"
                fill="none"
                stroke="currentColor"
                strokeWidth="2"
                strokeLinecap="round"
                strokeLinejoin="round"
              />
            </svg>
            <span className="sign-out-text">Sign out</span>
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1} ref={main}>
        <Outlet />
      </main>
    </>
  );
}
