import { SAXParser } from 'sax';

/** The largest SVG a panel may send: a tasks heatmap of 27 tasks is about 150 KB. */
export const MAX_SVG_BYTES = 20_000_000;

const SVG_NS = 'http://www.w3.org/2000/svg';
/** Elements that would run code or pull in other content when the export is opened in a browser. */
const FORBIDDEN = new Set(['script', 'foreignObject', 'iframe', 'object', 'embed', 'use']);

/**
 * Checks an SVG from a panel before it is written: well-formed XML (a strict parser), an `<svg>`
 * root in the SVG namespace, no scripts, event handlers or references outside the document. The
 * error names the line and column, so a bad export is refused with its reason, never written.
 */
export function checkSvg(text: string): string {
  if (Buffer.byteLength(text, 'utf8') > MAX_SVG_BYTES) throw new Error(`the SVG is larger than ${MAX_SVG_BYTES} bytes`);
  const parser = new SAXParser(true, { xmlns: true, position: true });
  let depth = 0;
  let root: string | undefined;
  let problem: string | undefined;
  const fail = (why: string) => {
    problem ??= `SVG line ${parser.line + 1}, column ${parser.column + 1}: ${why}`;
  };
  parser.onerror = (e) => {
    fail(e.message.split('\n')[0]);
    parser.error = null as unknown as Error;
  };
  parser.ondoctype = () => fail('a DOCTYPE is not allowed');
  parser.onopentag = (tag) => {
    const t = tag as { local: string; uri: string; attributes: Record<string, { local: string; value: string }> };
    if (depth++ === 0) {
      root = t.local;
      if (t.local !== 'svg' || t.uri !== SVG_NS) fail(`the root element is <${t.local}>, not an SVG <svg>`);
    }
    if (FORBIDDEN.has(t.local)) fail(`<${t.local}> is not allowed in an exported figure`);
    for (const a of Object.values(t.attributes)) {
      if (/^on/i.test(a.local)) fail(`the event handler ${a.local} is not allowed`);
      if (a.local === 'href' && !/^(#|data:image\/(png|jpeg);base64,)/.test(a.value))
        fail(`a reference outside the figure (${a.value.slice(0, 40)}) is not allowed`);
    }
  };
  parser.onclosetag = () => {
    depth--;
  };
  parser.write(text).close();
  if (problem) throw new Error(problem);
  if (root === undefined) throw new Error('the SVG has no root element');
  return text;
}
