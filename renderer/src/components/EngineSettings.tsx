/**
 * Settings → Image engine. With the embedded server: choose the built-in preview, ComfyUI
 * (local or remote), Automatic1111 or an OpenAI-compatible service, with its address and key;
 * "Test connection" says what answered or exactly why not; each priced model shows the engine
 * model that serves it, or why none does. A typed key goes to main once and is never shown
 * again. With a remote Easel server, the section shows what that server offers instead.
 */
import { useEffect, useState } from 'react';
import type { EngineKind, EngineReport, EngineState } from '../../../shared/api/engine';
import type { ModelCapability } from '../../../shared/api/jobs';
import type { EngineView } from '../../../shared/ipc/types';
import { useStores } from '../app/context';
import { messageOf } from '../util/errors';
import '../styles/engine-settings.css';

const KINDS: Array<{ kind: EngineKind; label: string; hint: string }> = [
  {
    kind: 'preview',
    label: 'Built-in preview',
    hint: 'Offline and free of setup, but not AI: abstract pictures from the prompt.',
  },
  {
    kind: 'comfyui',
    label: 'ComfyUI',
    hint: 'A ComfyUI server on this computer or on another one (default port 8188).',
  },
  {
    kind: 'automatic1111',
    label: 'Automatic1111',
    hint: 'stable-diffusion-webui started with --api (default port 7860).',
  },
  {
    kind: 'openai',
    label: 'OpenAI-compatible',
    hint: 'OpenAI’s images API, or a compatible service, with an API key.',
  },
];

const DEFAULT_URL: Record<EngineKind, string> = {
  preview: '',
  comfyui: 'http://127.0.0.1:8188',
  automatic1111: 'http://127.0.0.1:7860',
  openai: 'https://api.openai.com',
};

const FAMILY: Record<string, string> = {
  sd15: 'SD 1.5',
  sdxl: 'SDXL',
  flux: 'Flux',
  'dall-e-2': 'DALL·E 2',
  'dall-e-3': 'DALL·E 3',
  'gpt-image': 'GPT image',
  other: 'other',
};

interface Form {
  kind: EngineKind;
  baseUrl: string;
  /** A key typed now; '' keeps the stored one. */
  key: string;
  forgetKey: boolean;
  models: Record<string, string>;
}

const formOf = (state: EngineState): Form => ({
  kind: state.kind,
  baseUrl: state.baseUrl ?? DEFAULT_URL[state.kind],
  key: '',
  forgetKey: false,
  models: { ...state.models },
});

function Report(props: { report: EngineReport; title: string }) {
  const { report } = props;
  return (
    <div
      className={`engine-report ${report.ok ? 'engine-ok' : 'engine-bad'}`}
      data-testid="engine-report"
    >
      <strong>{props.title}</strong> {report.ok ? report.summary : report.message}
    </div>
  );
}

function Capabilities(props: {
  capabilities: ModelCapability[];
  report: EngineReport | null;
  form: Form | null;
  onMap?: (id: string, name: string) => void;
}) {
  const engineModels = props.report?.ok ? props.report.models : [];
  return (
    <table
      className="table engine-models"
      aria-label="Priced models and the engine models that serve them"
    >
      <thead>
        <tr>
          <th scope="col">Priced model</th>
          <th scope="col">Made with</th>
          {props.onMap && <th scope="col">Choose</th>}
        </tr>
      </thead>
      <tbody>
        {props.capabilities.map((c) => (
          <tr key={c.id} data-testid={`capability-${c.id}`}>
            <th scope="row">{c.label}</th>
            <td>
              {c.available ? (
                <span className="engine-ok-text">{c.engineModel}</span>
              ) : (
                <span className="engine-bad-text">Not available: {c.reason}</span>
              )}
            </td>
            {props.onMap && (
              <td>
                {c.id !== 'easel-preview' && engineModels.length > 0 && (
                  <select
                    aria-label={`Engine model for ${c.label}`}
                    value={props.form?.models[c.id] ?? ''}
                    onChange={(e) => props.onMap?.(c.id, e.target.value)}
                  >
                    <option value="">Automatic (by model family)</option>
                    {engineModels.map((m) => (
                      <option key={m.name} value={m.name}>
                        {m.name} ({FAMILY[m.family] ?? m.family})
                      </option>
                    ))}
                  </select>
                )}
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function RemoteEngine(props: { view: Extract<EngineView, { mode: 'remote' }> }) {
  const { view } = props;
  return (
    <>
      <p className="muted">
        This app uses the Easel server at {view.serverUrl}; its operator chooses the image engine
        there. It offers:
      </p>
      {view.error && <p className="error">{view.error}</p>}
      {view.tools && (
        <>
          <p>
            Engine: <strong>{view.tools.generate.provider.label}</strong>
          </p>
          <Capabilities capabilities={view.tools.generate.models} report={null} form={null} />
          <p className="hint">
            Face enhance:{' '}
            {view.tools.faceEnhance.available
              ? 'available'
              : (view.tools.faceEnhance.reason ?? 'not available')}
          </p>
        </>
      )}
    </>
  );
}

export function EngineSettings() {
  const { api } = useStores();
  const [view, setView] = useState<EngineView | null>(null);
  const [form, setForm] = useState<Form | null>(null);
  const [tested, setTested] = useState<{
    report: EngineReport;
    capabilities: ModelCapability[];
  } | null>(null);
  const [busy, setBusy] = useState<'test' | 'save' | null>(null);
  const [note, setNote] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    void api
      .getEngine({})
      .then((v) => {
        if (!live) return;
        setView(v);
        if (v.mode === 'embedded' && v.state) setForm(formOf(v.state));
      })
      .catch((e: unknown) => live && setNote(messageOf(e)));
    return () => {
      live = false;
    };
  }, [api]);

  if (!view)
    return (
      <section className="panel" aria-labelledby="engine-title">
        <h2 id="engine-title">Image engine</h2>
        <p className="muted">{note ?? 'Asking the server…'}</p>
      </section>
    );

  const state = view.mode === 'embedded' ? view.state : null;
  const patch = (f: Form) => ({
    kind: f.kind,
    baseUrl: f.kind === 'preview' ? null : f.baseUrl.trim(),
    ...(f.forgetKey ? { key: null } : f.key ? { key: f.key } : {}),
    models: f.kind === 'preview' ? {} : f.models,
  });
  const change = (next: Partial<Form>) => {
    if (!form) return;
    setForm({ ...form, ...next });
    setTested(null);
    setNote(null);
  };
  const test = async () => {
    if (!form) return;
    setBusy('test');
    setNote(null);
    try {
      setTested(await api.testEngine(patch(form)));
    } catch (e) {
      setNote(messageOf(e));
    } finally {
      setBusy(null);
    }
  };
  const save = async () => {
    if (!form) return;
    setBusy('save');
    setNote(null);
    try {
      const next = await api.saveEngine(patch(form));
      setView(next);
      if (next.mode === 'embedded' && next.state) setForm(formOf(next.state));
      setTested(null);
      setNote('Saved: new jobs use this engine.');
    } catch (e) {
      setNote(messageOf(e));
    } finally {
      setBusy(null);
    }
  };

  const shown =
    tested ?? (state ? { report: state.report, capabilities: state.capabilities } : null);
  const sameKind = state && form && state.kind === form.kind;
  const takesKey = form?.kind === 'openai' || form?.kind === 'automatic1111';

  return (
    <section className="panel engine-settings" aria-labelledby="engine-title">
      <h2 id="engine-title">Image engine</h2>
      {view.mode === 'remote' ? (
        <RemoteEngine view={view} />
      ) : (
        <>
          <p className="muted">
            Where Easel makes images. Jobs already running finish on the engine they started on.
          </p>
          {view.error && <p className="error">{view.error}</p>}
          {form && (
            <form
              className="tool-form"
              onSubmit={(e) => {
                e.preventDefault();
                void save();
              }}
            >
              <fieldset className="segmented engine-kinds">
                <legend>Engine</legend>
                {KINDS.map((k) => (
                  <label key={k.kind}>
                    <input
                      type="radio"
                      name="engine-kind"
                      value={k.kind}
                      checked={form.kind === k.kind}
                      onChange={() =>
                        change({
                          kind: k.kind,
                          baseUrl:
                            state?.kind === k.kind && state.baseUrl
                              ? state.baseUrl
                              : DEFAULT_URL[k.kind],
                          key: '',
                          forgetKey: false,
                          models: state?.kind === k.kind ? { ...state.models } : {},
                        })
                      }
                    />
                    {k.label}
                  </label>
                ))}
              </fieldset>
              <p className="hint">{KINDS.find((k) => k.kind === form.kind)?.hint}</p>
              {form.kind !== 'preview' && (
                <label className="field">
                  Address
                  <input
                    type="url"
                    value={form.baseUrl}
                    required
                    onChange={(e) => change({ baseUrl: e.target.value })}
                  />
                </label>
              )}
              {takesKey && (
                <div className="row wrap">
                  <label className="field grow">
                    {form.kind === 'openai'
                      ? 'API key'
                      : 'User name and password (only with --api-auth), as user:password'}
                    <input
                      type="password"
                      autoComplete="off"
                      spellCheck={false}
                      value={form.key}
                      placeholder={
                        sameKind && state?.hasKey && !form.forgetKey
                          ? 'Stored — type a new one to replace it'
                          : ''
                      }
                      onChange={(e) => change({ key: e.target.value, forgetKey: false })}
                    />
                  </label>
                  {sameKind && state?.hasKey && !form.forgetKey && (
                    <button
                      type="button"
                      className="secondary"
                      onClick={() => change({ key: '', forgetKey: true })}
                    >
                      Forget the stored key
                    </button>
                  )}
                </div>
              )}
              {form.forgetKey && (
                <p className="hint">The stored key will be forgotten when you save.</p>
              )}
              {view.insecureKeyStorage && takesKey && (
                <p className="banner banner-warn">
                  There is no system keyring here: the key is stored in plain text in the app’s data
                  folder.
                </p>
              )}
              <div className="row">
                <button
                  type="button"
                  className="secondary"
                  disabled={busy !== null}
                  onClick={() => void test()}
                >
                  {busy === 'test' ? 'Testing…' : 'Test connection'}
                </button>
                <button type="submit" className="primary" disabled={busy !== null}>
                  {busy === 'save' ? 'Saving…' : 'Save and use'}
                </button>
              </div>
            </form>
          )}
          <div role="status" aria-live="polite">
            {note && <p>{note}</p>}
            {shown && <Report report={shown.report} title={tested ? 'Test:' : 'In use:'} />}
          </div>
          {shown && form && (
            <Capabilities
              capabilities={shown.capabilities}
              report={shown.report}
              form={form}
              onMap={
                form.kind === 'preview'
                  ? undefined
                  : (id, name) => {
                      const models = Object.fromEntries(
                        Object.entries(form.models).filter(([k]) => k !== id),
                      );
                      if (name) models[id] = name;
                      change({ models });
                      // The engine's answer still stands; the mapping is tested or saved next.
                      if (tested) setTested(tested);
                    }
              }
            />
          )}
        </>
      )}
    </section>
  );
}
