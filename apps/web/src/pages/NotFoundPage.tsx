import { Link } from 'react-router';

export function NotFoundPage() {
  return (
    <section className="page">
      <h1>Page not found</h1>
      <p>
        There is nothing here. Go back to your <Link to="/inbox">inbox</Link>.
      </p>
    </section>
  );
}
