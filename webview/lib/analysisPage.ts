import { type AnalysisToPage, analysisProtocol } from '../../src/protocol/panels';
import { type PanelView, panelView } from '../../src/protocol/views';
import type { Strings } from './dom';
import { listen, loadState as loadView, poster, saveState as saveView } from './host';

/** The two analysis pages' side of their protocol: the study comes in, exports go out, the view persists. */
export const post = poster(analysisProtocol);

export function listenForStudy(
  onStudy: (m: Extract<AnalysisToPage, { type: 'study' }>) => void,
  strings: () => Strings,
) {
  listen(analysisProtocol, { study: onStudy }, strings);
}

export const loadState = (): PanelView => loadView(panelView);
export const saveState = (view: PanelView) => saveView(view);
