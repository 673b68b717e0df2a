// Rendering a NodeForm in tests, with the real node kinds and a config
// that follows every edit the way an editor's store would.

import { render } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { vi } from 'vitest';

import { NodeForm, type NodeFormProps } from './NodeForm';
import { kindNamed } from './testKinds';
import type { NodeConfig } from './types';

type Extra = Partial<Omit<NodeFormProps, 'kind' | 'config' | 'onChange'>>;

/** Render the form of `kindName`; `lastConfig()` is the config after the last edit. */
export function renderForm(kindName: string, config: NodeConfig = {}, extra: Extra = {}) {
  const onChange = vi.fn<(config: NodeConfig) => void>();
  const user = userEvent.setup();

  function Harness() {
    const [current, setCurrent] = useState(config);
    return (
      <NodeForm
        kind={kindNamed(kindName)}
        config={current}
        onChange={(next) => {
          setCurrent(next);
          onChange(next);
        }}
        {...extra}
      />
    );
  }

  const result = render(<Harness />);
  const lastConfig = (): NodeConfig => {
    const call = onChange.mock.lastCall;
    if (call === undefined) {
      throw new Error('The form has not changed the config.');
    }
    return call[0];
  };

  return { ...result, user, onChange, lastConfig };
}
