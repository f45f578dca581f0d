// The preload entry, bundled to out/main/preload.cjs by scripts/build-main.ts. It lives in
// main/electron/ because only that folder may import electron (lint).
import { contextBridge, ipcRenderer } from 'electron';
import { createPreloadApi } from '../core/preload-api';

// Runs in the sandboxed preload: exposes exactly the contract's functions as window.easel.
contextBridge.exposeInMainWorld(
  'easel',
  createPreloadApi({
    invoke: (channel, params) => ipcRenderer.invoke(channel, params),
    on(channel, listener) {
      const wrapped = (_event: unknown, payload: unknown) => listener(payload);
      ipcRenderer.on(channel, wrapped);
      return () => {
        ipcRenderer.removeListener(channel, wrapped);
      };
    },
  }),
);
