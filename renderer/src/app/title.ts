import { useEffect } from 'react';

/**
 * The document title (Electron's window title follows it): the screen, then running jobs, so a
 * glance at the taskbar says what is going on. "Studio · 1 running — Easel".
 */
export function documentTitle(screen: string, running: number): string {
  return `${screen}${running > 0 ? ` · ${running} running` : ''} — Easel`;
}

export function useDocumentTitle(screen: string, running: number): void {
  useEffect(() => {
    document.title = documentTitle(screen, running);
  }, [screen, running]);
}
