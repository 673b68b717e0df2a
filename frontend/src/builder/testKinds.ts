// The node kinds as the server serves them, for the builder's tests.
import { kinds } from './form/testKinds';
import type { NodeKinds } from './types';

export const KINDS: NodeKinds = kinds;
