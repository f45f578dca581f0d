import { useState } from 'react';
import { GenerateTool } from '../components/GenerateTool';
import { ImageTool } from '../components/ImageTool';
import { JobList } from '../components/JobList';

const TOOLS = [
  { id: 'generate', label: 'Generate' },
  { id: 'filter', label: 'Filter' },
  { id: 'upscale', label: 'Upscale' },
  { id: 'cutout', label: 'Cutout' },
] as const;
type ToolId = (typeof TOOLS)[number]['id'];

export function Studio(props: { onTopUp: () => void }) {
  const [tool, setTool] = useState<ToolId>('generate');
  return (
    <div className="screen studio">
      <h1>Studio</h1>
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
            onClick={() => setTool(t.id)}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div className="studio-grid">
        <section className="panel" id="tool-panel" role="tabpanel" aria-labelledby={`tab-${tool}`}>
          {tool === 'generate' ? (
            <GenerateTool onTopUp={props.onTopUp} />
          ) : (
            <ImageTool key={tool} tool={tool} onTopUp={props.onTopUp} />
          )}
        </section>
        <JobList />
      </div>
    </div>
  );
}
