import type { ThemeSetting } from '../../../shared/ipc/types';
import { useSession, useStores } from '../app/context';

const CHOICES: Array<{ value: ThemeSetting; label: string }> = [
  { value: 'system', label: 'System' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

/** Settings → Appearance: light, dark, or following the system; kept by main with the settings. */
export function AppearanceSettings() {
  const { session } = useStores();
  const theme = useSession((s) => s.settings?.theme ?? 'system');
  return (
    <section className="panel" aria-labelledby="appearance-title">
      <h2 id="appearance-title">Appearance</h2>
      <fieldset className="segmented">
        <legend>Theme</legend>
        {CHOICES.map((c) => (
          <label key={c.value}>
            <input
              type="radio"
              name="theme"
              value={c.value}
              checked={theme === c.value}
              onChange={() => void session.getState().updateSettings({ theme: c.value })}
            />
            {c.label}
          </label>
        ))}
      </fieldset>
      <p className="hint">System follows your computer&apos;s light or dark setting.</p>
    </section>
  );
}
