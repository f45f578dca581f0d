import { useEffect } from 'react';
import { useStores, useStudio } from '../app/context';

/**
 * In-app notices of runs that ended while the user was elsewhere, where no system notification
 * could be shown. Each stays until dismissed or followed, or for 12 seconds.
 */
export function Toasts(props: { onShowStudio: () => void }) {
  const { studio } = useStores();
  const toasts = useStudio((s) => s.toasts);
  useEffect(() => {
    if (toasts.length === 0) return;
    const oldest = toasts[0];
    const t = setTimeout(() => {
      if (oldest) studio.getState().dismissToast(oldest.id);
    }, 12_000);
    return () => clearTimeout(t);
  }, [studio, toasts]);
  return (
    <div className="toasts" role="status" aria-live="polite">
      {toasts.map((t) => (
        <div key={t.id} className={`toast toast-${t.tone}`} data-testid="toast">
          <p>{t.text}</p>
          <div className="row">
            <button
              type="button"
              className="primary small-button"
              onClick={() => {
                studio.getState().dismissToast(t.id);
                props.onShowStudio();
              }}
            >
              Show in Studio
            </button>
            <button
              type="button"
              className="secondary small-button"
              onClick={() => studio.getState().dismissToast(t.id)}
            >
              Dismiss
            </button>
          </div>
        </div>
      ))}
    </div>
  );
}
