import { useEffect, useState } from 'react';
import type { DeviceHealth, DevicePart } from '../../../shared/ipc/types';
import { useStores } from '../app/context';
import { messageOf } from '../util/errors';

const PART_NAMES: Record<DevicePart, string> = {
  settings: 'Settings',
  session: 'Sign-in record',
  'server-keys': "The server's signing keys",
  'device-state': 'Offline allowance and queued changes',
  secrets: 'Stored secrets',
  'device-key': "This device's signing key",
};

/**
 * What main could not read on this device, each with its way out: re-sync from the server, or
 * replace the device key through the server (docs/architecture.md §10). Nothing is reset
 * silently, so this is where the user learns about it.
 */
export function DeviceHealthPanel() {
  const { api } = useStores();
  const [health, setHealth] = useState<DeviceHealth>({ problems: [] });
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<string | null>(null);
  useEffect(() => {
    void api
      .getDeviceHealth({})
      .then(setHealth)
      .catch((e: unknown) => setNote(messageOf(e)));
    return api.on('deviceHealth', setHealth);
  }, [api]);
  if (health.problems.length === 0 && !note) return null;

  const act = async (run: () => Promise<DeviceHealth>, done: string): Promise<void> => {
    setBusy(true);
    setNote(null);
    try {
      setHealth(await run());
      setNote(done);
    } catch (e) {
      setNote(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="panel" aria-labelledby="device-health-title">
      <h2 id="device-health-title">Device state</h2>
      {health.problems.map((p) => (
        <div key={p.part} className="banner banner-warn" role="alert">
          <p>
            <strong>{PART_NAMES[p.part]}:</strong> {p.message}
          </p>
          {p.remedy === 'rotate-key' ? (
            <button
              type="button"
              className="secondary"
              disabled={busy}
              onClick={() =>
                void act(
                  () => api.rotateDeviceKey({}),
                  'This device has a new signing key. Take a new offline allowance to spend offline again.',
                )
              }
            >
              Replace device key
            </button>
          ) : (
            <button
              type="button"
              className="secondary"
              disabled={busy}
              onClick={() =>
                void act(
                  () => api.resyncDeviceState({ part: p.part }),
                  p.part === 'settings'
                    ? 'Settings start again from the defaults. The unreadable file was kept beside it.'
                    : 'Re-synced from the server. The unreadable file was kept beside it.',
                )
              }
            >
              {p.part === 'settings' ? 'Use the default settings' : 'Re-sync from the server'}
            </button>
          )}
        </div>
      ))}
      {note && <p role="status">{note}</p>}
    </section>
  );
}
