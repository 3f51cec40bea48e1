// The chatnode mark: two overlapping speech bubbles (inline SVG, no external file).
const SVG_NS = 'http://www.w3.org/2000/svg';

export function logo(cls = 'logo'): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 48 48');
  svg.setAttribute('class', cls);
  svg.setAttribute('aria-hidden', 'true');
  const back = document.createElementNS(SVG_NS, 'path');
  back.setAttribute('d', 'M18 6h20a8 8 0 0 1 8 8v10a8 8 0 0 1-8 8h-1v6l-7-6H18a8 8 0 0 1-8-8V14a8 8 0 0 1 8-8z');
  back.setAttribute('class', 'logo-back');
  const front = document.createElementNS(SVG_NS, 'path');
  front.setAttribute('d', 'M8 16h18a6 6 0 0 1 6 6v9a6 6 0 0 1-6 6H15l-7 6v-6a6 6 0 0 1-6-6v-9a6 6 0 0 1 6-6z');
  front.setAttribute('class', 'logo-front');
  svg.append(back, front);
  return svg;
}
