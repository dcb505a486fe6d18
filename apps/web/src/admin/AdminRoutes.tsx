import { NavLink, Route, Routes } from 'react-router';
import { NotFoundPage } from '../pages/NotFoundPage';
import { AgentPage, AgentsPage } from './AgentsPage';
import { AuditPage } from './AuditPage';
import { GroupsPage } from './GroupsPage';
import { OverviewPage } from './OverviewPage';
import { PeoplePage } from './PeoplePage';
import { ResourceServersPage } from './ResourceServersPage';
import { TaxonomyPage } from './taxonomy/TaxonomyPage';
import './admin.css';

const SECTIONS = [
  { to: '/admin', label: 'Overview', end: true },
  { to: '/admin/people', label: 'People' },
  { to: '/admin/groups', label: 'Groups' },
  { to: '/admin/agents', label: 'Agents' },
  { to: '/admin/resource-servers', label: 'Resource servers' },
  { to: '/admin/taxonomy', label: 'Taxonomy' },
  { to: '/admin/audit', label: 'Audit log' },
];

/** The admin console, mounted at /admin/* for people with the admin role (App guards the role; the API refuses others). */
export function AdminRoutes() {
  return (
    <div className="admin">
      <nav aria-label="Admin sections" className="admin-nav">
        <ul>
          {SECTIONS.map((section) => (
            <li key={section.to}>
              <NavLink to={section.to} end={section.end}>
                {section.label}
              </NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <Routes>
        <Route index element={<OverviewPage />} />
        <Route path="people" element={<PeoplePage />} />
        <Route path="groups" element={<GroupsPage />} />
        <Route path="agents" element={<AgentsPage />} />
        <Route path="agents/:id" element={<AgentPage />} />
        <Route path="resource-servers" element={<ResourceServersPage />} />
        <Route path="taxonomy" element={<TaxonomyPage />} />
        <Route path="audit" element={<AuditPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Routes>
    </div>
  );
}
