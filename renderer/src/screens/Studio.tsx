import { useEffect, useState } from 'react';
import { useStores, useStudio } from '../app/context';
import { GenerateTool } from '../components/GenerateTool';
import { ImageTool } from '../components/ImageTool';
import { JobList } from '../components/JobList';
import { ResultPanel } from '../components/ResultPanel';
import { ShortcutsDialog } from '../components/ShortcutsDialog';
import { Viewer } from '../components/Viewer';
import type { StudioTool } from '../stores/studio-store';

const TOOLS: ReadonlyArray<{ id: StudioTool; label: string }> = [
  { id: 'generate', label: 'Generate' },
  { id: 'filter', label: 'Filter' },
  { id: 'upscale', label: 'Upscale' },
  { id: 'cutout', label: 'Cutout' },
  { id: 'face-enhance', label: 'Faces' },
];

const isEditable = (t: EventTarget | null): boolean =>
  t instanceof HTMLElement &&
  (t.isContentEditable || t.closest('textarea, input, select, [contenteditable]') !== null);

const imageFileOf = (items: DataTransferItemList | undefined): File | null => {
  for (const item of items ?? []) {
    if (item.kind !== 'file') continue;
    const file = item.getAsFile();
    if (file) return file;
  }
  return null;
};

/**
 * The Studio (results first): the tool on the left, the current run's result and the runs on the
 * right. An image dropped anywhere here or pasted (Ctrl/Cmd+V) becomes the input;
 * Ctrl/Cmd+Enter runs; "?" lists the shortcuts.
 */
export function Studio(props: { onTopUp: () => void }) {
  const { studio } = useStores();
  const tool = useStudio((s) => s.tool);
  const viewer = useStudio((s) => s.viewer);
  const [shortcuts, setShortcuts] = useState(false);
  const [dragging, setDragging] = useState(false);

  /** A dropped or pasted file: the input of the tool in use (Generate turns to image to image). */
  const take = async (file: File): Promise<void> => {
    const ok = await studio.getState().takeFile(file, file.name || 'a pasted image');
    const s = studio.getState();
    if (ok && s.tool === 'generate' && s.generate.mode === 'text-to-image')
      s.patchGenerate({ mode: 'image-to-image' });
  };

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (document.querySelector('dialog[open]')) return;
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        studio.getState().runner?.();
      } else if (e.key === '?' && !isEditable(e.target)) {
        e.preventDefault();
        setShortcuts(true);
      }
    };
    const onPaste = (e: ClipboardEvent): void => {
      // Pasting text into a field stays a text paste, even when the clipboard also holds a
      // picture of it (word processors put one there).
      if (isEditable(e.target) && e.clipboardData?.types.includes('text/plain')) return;
      const file = imageFileOf(e.clipboardData?.items);
      if (!file) return;
      e.preventDefault();
      void take(file);
    };
    document.addEventListener('keydown', onKey);
    document.addEventListener('paste', onPaste);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('paste', onPaste);
    };
    // `take` reads the store when called: no need to resubscribe.
  }, [studio]);

  const hasFiles = (e: React.DragEvent): boolean => e.dataTransfer.types.includes('Files');
  return (
    <div
      className={dragging ? 'screen studio dragging' : 'screen studio'}
      data-testid="studio"
      onDragEnter={(e) => {
        if (hasFiles(e)) setDragging(true);
      }}
      onDragOver={(e) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
      }}
      onDragLeave={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDragging(false);
      }}
      onDrop={(e) => {
        setDragging(false);
        const file = e.dataTransfer.files[0] ?? imageFileOf(e.dataTransfer.items);
        if (!file) return;
        e.preventDefault();
        void take(file);
      }}
    >
      <div className="studio-head">
        <h1>Studio</h1>
        <button
          type="button"
          className="link"
          onClick={() => setShortcuts(true)}
          aria-keyshortcuts="?"
        >
          Keyboard shortcuts (?)
        </button>
      </div>
      <div className="studio-layout">
        <div className="studio-controls">
          <div className="tabs" role="tablist" aria-label="Tools">
            {TOOLS.map((t) => (
              <button
                key={t.id}
                type="button"
                role="tab"
                id={`tab-${t.id}`}
                aria-selected={tool === t.id}
                aria-controls="tool-panel"
                className={tool === t.id ? 'tab active' : 'tab'}
                onClick={() => studio.getState().setTool(t.id)}
              >
                {t.label}
              </button>
            ))}
          </div>
          <section
            className="panel"
            id="tool-panel"
            role="tabpanel"
            aria-labelledby={`tab-${tool}`}
          >
            {tool === 'generate' ? (
              <GenerateTool onTopUp={props.onTopUp} />
            ) : (
              <ImageTool key={tool} tool={tool} onTopUp={props.onTopUp} />
            )}
          </section>
        </div>
        <div className="studio-results">
          <ResultPanel />
          <JobList />
        </div>
      </div>
      {dragging && (
        <div className="drop-overlay" aria-hidden="true">
          <p>Drop the image to use it as the input.</p>
        </div>
      )}
      {viewer && (
        <Viewer
          items={viewer.items}
          index={viewer.index}
          onIndex={(index) => studio.getState().openViewer(viewer.items, index)}
          onClose={() => studio.getState().closeViewer()}
        />
      )}
      {shortcuts && <ShortcutsDialog onClose={() => setShortcuts(false)} />}
    </div>
  );
}
