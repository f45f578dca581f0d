import { routes, type RouteId } from '../app/routes';

export function Nav(props: {
  current: RouteId;
  onGo: (id: RouteId) => void;
  /** Counts shown on a screen's item, e.g. runs that ended while the user was elsewhere. */
  badges?: Partial<Record<RouteId, { count: number; label: string }>>;
}) {
  return (
    <nav className="nav" aria-label="Main">
      <div className="brand">Easel</div>
      <ul>
        {routes.map((r) => {
          const badge = props.badges?.[r.id];
          const show = badge !== undefined && badge.count > 0;
          return (
            <li key={r.id}>
              <button
                type="button"
                className={r.id === props.current ? 'nav-item active' : 'nav-item'}
                aria-current={r.id === props.current ? 'page' : undefined}
                aria-describedby={show ? `nav-badge-${r.id}` : undefined}
                onClick={() => props.onGo(r.id)}
              >
                {r.label}
                {show && (
                  <span className="nav-badge" aria-hidden="true" data-testid={`nav-badge-${r.id}`}>
                    {badge.count}
                  </span>
                )}
              </button>
              {show && (
                <span id={`nav-badge-${r.id}`} hidden>
                  {badge.label}
                </span>
              )}
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
