import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { WorkflowsPage } from '../../builder/WorkflowsPage';

const ROOT_ID = 'builder-root';

const container = document.getElementById(ROOT_ID);
if (container === null) {
  throw new Error(
    `The workflow list needs <div id="${ROOT_ID}"> in the page; thoughtflow/templates/workflows/builder.html provides it.`,
  );
}

createRoot(container).render(
  <StrictMode>
    <WorkflowsPage />
  </StrictMode>,
);
