import { useEffect, useRef } from 'react';
import { RUN_KEYS } from './RunButton';

const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);
const mod = isMac ? '⌘' : 'Ctrl';

const SHORTCUTS: Array<[string, string]> = [
  [RUN_KEYS, 'Run the current tool (Generate, Apply filter, Upscale, Remove background).'],
  [`${mod}+V`, 'Paste an image from the clipboard as the input.'],
  ['?', 'Show this list.'],
  ['Esc', 'Close the viewer or a dialog.'],
  ['← and →', 'Previous and next image in the viewer.'],
  ['+ and −', 'Zoom in and out in the viewer; 0 fits the image to the window.'],
];

/** The keyboard shortcuts of the Studio (a modal dialog: Esc closes it). */
export function ShortcutsDialog(props: { onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);
  return (
    <dialog
      ref={dialog}
      className="shortcuts"
      aria-labelledby="shortcuts-title"
      data-testid="shortcuts"
      onCancel={(e) => {
        e.preventDefault();
        props.onClose();
      }}
    >
      <h2 id="shortcuts-title">Keyboard shortcuts</h2>
      <table className="shortcut-table">
        <tbody>
          {SHORTCUTS.map(([keys, what]) => (
            <tr key={keys}>
              <th scope="row">
                <kbd>{keys}</kbd>
              </th>
              <td>{what}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="hint">
        You can also drop an image anywhere in the Studio to use it as the input.
      </p>
      <button type="button" className="primary" onClick={props.onClose}>
        Close
      </button>
    </dialog>
  );
}
