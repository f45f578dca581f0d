import { describe, expect, it } from 'vitest';
import { channelOf, ipcCallNames } from '../../shared/ipc/contract';
import { createPreloadApi } from './preload-api';

describe('the preload API', () => {
  it('exposes exactly one function per contract call, plus on and transport', async () => {
    const invoked: string[] = [];
    const api = createPreloadApi({
      invoke: async (channel) => {
        invoked.push(channel);
        return channel === channelOf('getSyncState')
          ? { ok: false, error: { code: 'offline', message: 'no network' } }
          : { ok: true, value: { opened: false } };
      },
      on: () => () => undefined,
    });
    const keys = Object.keys(api).sort();
    expect(keys).toEqual([...ipcCallNames, 'on', 'transport'].sort());
    expect(keys).not.toContain('invoke');
    expect(await api.openLink({ url: 'https://easel.app' })).toEqual({ opened: false });
    expect(invoked).toEqual(['easel:openLink']);
    await expect(api.getSyncState({})).rejects.toThrow(/easel-error:.*"code":"offline"/);
  });
});
