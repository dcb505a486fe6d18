import { Navigate, Route, Routes, useLocation } from 'react-router';
import { AdminRoutes } from './admin/AdminRoutes';
import { Layout } from './components/Layout';
import { ApprovalPage } from './pages/ApprovalPage';
import { EnrollPage } from './pages/EnrollPage';
import { InboxPage } from './pages/InboxPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { SettingsPage } from './pages/SettingsPage';
import { SignInPage } from './pages/SignInPage';
import { useSession } from './session';

export function App() {
  return (
    <Routes>
      <Route path="/sign-in" element={<SignInPage />} />
      <Route path="/enroll" element={<EnrollPage />} />
      <Route element={<RequireSignIn />}>
        <Route index element={<Navigate to="/inbox" replace />} />
        <Route path="/inbox" element={<InboxPage />} />
        <Route path="/approvals/:id" element={<ApprovalPage />} />
        <Route path="/settings" element={<SettingsPage />} />
        <Route path="/admin/*" element={<RequireAdmin />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}

/** Signed-in pages share the layout; a signed-out visitor is sent to sign in and brought back after. */
function RequireSignIn() {
  const { person } = useSession();
  const location = useLocation();
  if (person === undefined)
    return (
      <p className="loading" role="status">
        Loading…
      </p>
    );
  if (person === null) return <Navigate to={`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  return <Layout />;
}

function RequireAdmin() {
  const { person } = useSession();
  if (person?.role !== 'admin') {
    return (
      <section className="page">
        <h1>Admins only</h1>
        <p>The admin console is for people with the admin role. Ask an admin if you need something changed.</p>
      </section>
    );
  }
  return <AdminRoutes />;
}
