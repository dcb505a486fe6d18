import { NavLink, Outlet, useNavigate } from 'react-router';
import { useSession } from '../session';

export function Layout() {
  const { person, signOut } = useSession();
  const navigate = useNavigate();
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
          Countersign
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
          <button type="button" className="link-button" onClick={() => void onSignOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </>
  );
}
