import { routes, type RouteId } from '../app/routes';

export function Nav(props: { current: RouteId; onGo: (id: RouteId) => void }) {
  return (
    <nav className="nav" aria-label="Main">
      <div className="brand">Easel</div>
      <ul>
        {routes.map((r) => (
          <li key={r.id}>
            <button
              type="button"
              className={r.id === props.current ? 'nav-item active' : 'nav-item'}
              aria-current={r.id === props.current ? 'page' : undefined}
              onClick={() => props.onGo(r.id)}
            >
              {r.label}
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}
