import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { EditorPage } from '../../builder/EditorPage';

const ROOT_ID = 'editor-root';

const container = document.getElementById(ROOT_ID);
const workflowId = Number(container?.dataset.workflowId);
if (container === null || !Number.isInteger(workflowId)) {
  throw new Error(
    `The workflow editor needs <div id="${ROOT_ID}" data-workflow-id="…"> in the page; ` +
      'thoughtflow/templates/workflows/editor.html provides it.',
  );
}

createRoot(container).render(
  <StrictMode>
    <EditorPage workflowId={workflowId} />
  </StrictMode>,
);
