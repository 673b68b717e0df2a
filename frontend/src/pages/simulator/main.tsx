import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { SimulatorPage } from '../../simulator/SimulatorPage';

const ROOT_ID = 'simulator-root';

const container = document.getElementById(ROOT_ID);
if (container === null) {
  throw new Error(
    `The SMS simulator needs <div id="${ROOT_ID}"> in the page; ` +
      'conversations/simulator.html provides it.',
  );
}

createRoot(container).render(
  <StrictMode>
    <SimulatorPage />
  </StrictMode>,
);
