import { Route, Routes } from 'react-router';

/** The admin console, mounted at /admin/* for people with the admin role (pages to come). */
export function AdminRoutes() {
  return (
    <Routes>
      <Route
        index
        element={
          <section className="page">
            <h1>Admin</h1>
            <p>The admin console is on its way.</p>
          </section>
        }
      />
    </Routes>
  );
}
