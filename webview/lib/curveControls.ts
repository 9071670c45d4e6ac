import { MAX_SMOOTHING } from '../../src/protocol/views';
import { h, type Strings, t } from './dom';

/** What the training chart and Compare Runs both let a reader set on their curves. */
interface CurveView {
  readonly smoothing: number;
  readonly logLoss: boolean;
}

/** The smoothing slider (with its value) and the log-scale switch for loss, the same on every page with curves. */
export function curveControls(
  strings: Strings,
  view: CurveView,
  setView: (next: Partial<CurveView>) => void,
): HTMLLabelElement[] {
  return [
    h(
      'label',
      {},
      t(strings, 'Smoothing'),
      ' ',
      h('input', {
        type: 'range',
        id: 'smoothing',
        min: '0',
        max: String(MAX_SMOOTHING),
        step: '0.01',
        value: String(view.smoothing),
        onchange: (e) => setView({ smoothing: Number((e.target as HTMLInputElement).value) }),
      }),
      ' ',
      h('span', { id: 'smoothing-value' }, view.smoothing.toFixed(2)),
    ),
    h(
      'label',
      {},
      h('input', {
        type: 'checkbox',
        id: 'log-loss',
        checked: view.logLoss,
        onchange: (e) => setView({ logLoss: (e.target as HTMLInputElement).checked }),
      }),
      ' ',
      t(strings, 'Log scale for loss'),
    ),
  ];
}
