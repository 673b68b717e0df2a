import { useCallback, useEffect, useState, type ChangeEvent, type FormEvent } from 'react';

import { errorMessage } from '../api/http';
import {
  createFromTemplate,
  createWorkflow,
  duplicateWorkflow,
  exportUrl,
  importWorkflow,
  listTemplates,
  listWorkflows,
  updateWorkflow,
  type WorkflowTemplate,
} from './api';
import type { Workflow } from './types';
import './WorkflowsPage.css';

export function editorUrl(id: number): string {
  return `/builder/${id}/`;
}

/** Every workflow of the workspace, and the ways to start a new one. */
export function WorkflowsPage() {
  const [workflows, setWorkflows] = useState<Workflow[] | null>(null);
  const [templates, setTemplates] = useState<WorkflowTemplate[]>([]);
  const [showArchived, setShowArchived] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [template, setTemplate] = useState('');

  const load = useCallback(async () => {
    try {
      setWorkflows(await listWorkflows());
    } catch (caught) {
      setError(errorMessage(caught));
    }
  }, []);

  useEffect(() => {
    listWorkflows()
      .then(setWorkflows)
      .catch((caught: unknown) => setError(errorMessage(caught)));
    listTemplates()
      .then(setTemplates)
      .catch((caught: unknown) => setError(errorMessage(caught)));
  }, []);

  async function attempt(action: () => Promise<unknown>) {
    setError(null);
    try {
      await action();
    } catch (caught) {
      setError(errorMessage(caught));
    }
  }

  function create(event: FormEvent) {
    event.preventDefault();
    void attempt(async () => {
      const created =
        template === ''
          ? await createWorkflow(name.trim() || 'Untitled workflow')
          : await createFromTemplate(template, name.trim() || undefined);
      window.location.assign(editorUrl(created.id));
    });
  }

  function importFile(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (file === undefined) {
      return;
    }
    void attempt(async () => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(await file.text());
      } catch {
        throw new Error(`${file.name} is not a JSON file exported from a workflow.`);
      }
      const created = await importWorkflow(parsed);
      window.location.assign(editorUrl(created.id));
    });
  }

  const shown = (workflows ?? []).filter(
    (workflow) => showArchived || workflow.status === 'active',
  );

  return (
    <div className="workflows">
      <h1>Workflows</h1>
      <form className="workflows__new" onSubmit={create}>
        <label>
          Name{' '}
          <input
            value={name}
            onChange={(event) => setName(event.target.value)}
            placeholder="Untitled workflow"
            maxLength={120}
            data-testid="new-workflow-name"
          />
        </label>
        <label>
          Start from{' '}
          <select
            value={template}
            onChange={(event) => setTemplate(event.target.value)}
            data-testid="new-workflow-template"
          >
            <option value="">A blank canvas</option>
            {templates.map((choice) => (
              <option key={choice.slug} value={choice.slug} title={choice.description}>
                {choice.name}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" data-testid="create-workflow">
          Create
        </button>
        <label className="workflows__import">
          Import JSON… <input type="file" accept="application/json,.json" onChange={importFile} />
        </label>
      </form>
      {error !== null && (
        <p className="workflows__error" role="alert">
          {error}
        </p>
      )}
      <label className="workflows__archived">
        <input
          type="checkbox"
          checked={showArchived}
          onChange={(event) => setShowArchived(event.target.checked)}
        />{' '}
        Show archived
      </label>
      {workflows === null ? (
        <p>Loading workflows…</p>
      ) : shown.length === 0 ? (
        <p>No workflows yet. Create one above.</p>
      ) : (
        <table className="workflows__table" data-testid="workflows">
          <thead>
            <tr>
              <th>Name</th>
              <th>Status</th>
              <th>Published</th>
              <th title="What starts runs of the published version">Live trigger</th>
              <th>Runs, last 7 days</th>
              <th>
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.map((workflow) => (
              <tr key={workflow.id}>
                <td>
                  <a href={editorUrl(workflow.id)}>{workflow.name}</a>
                </td>
                <td>{workflow.status}</td>
                <td>
                  {workflow.published_version === null ? '—' : `v${workflow.published_version}`}
                </td>
                <td>{workflow.trigger_type || '—'}</td>
                <td>{workflow.runs_last_7_days}</td>
                <td className="workflows__actions">
                  <button
                    type="button"
                    onClick={() =>
                      void attempt(async () => {
                        await duplicateWorkflow(workflow.id);
                        await load();
                      })
                    }
                  >
                    Duplicate
                  </button>
                  <a href={exportUrl(workflow.id)} download>
                    Export
                  </a>
                  <button
                    type="button"
                    onClick={() =>
                      void attempt(async () => {
                        await updateWorkflow(workflow.id, {
                          status: workflow.status === 'active' ? 'archived' : 'active',
                        });
                        await load();
                      })
                    }
                  >
                    {workflow.status === 'active' ? 'Archive' : 'Restore'}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
