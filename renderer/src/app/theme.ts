import { useEffect, useState } from 'react';
import type { ThemeSetting } from '../../../shared/ipc/types';

const DARK_QUERY = '(prefers-color-scheme: dark)';

/** Whether the system asks for dark, kept current as the system changes. */
function useSystemDark(): boolean {
  const media = typeof window.matchMedia === 'function' ? window.matchMedia(DARK_QUERY) : null;
  const [dark, setDark] = useState(() => media?.matches ?? false);
  useEffect(() => {
    if (!media) return;
    const onChange = (e: MediaQueryListEvent): void => setDark(e.matches);
    media.addEventListener('change', onChange);
    setDark(media.matches);
    return () => media.removeEventListener('change', onChange);
  }, [media]);
  return dark;
}

/**
 * Puts the theme on <html data-theme> (the palettes are in styles/theme.css): the setting, or
 * the system's prefers-color-scheme when the setting is 'system' (or not loaded yet).
 */
export function useTheme(setting: ThemeSetting | undefined): 'light' | 'dark' {
  const systemDark = useSystemDark();
  const theme = setting === 'light' || setting === 'dark' ? setting : systemDark ? 'dark' : 'light';
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  return theme;
}
