// A time-series chart on a canvas: every series of a group against time, a cursor at the playback time, and
// clicks or drags that ask to seek.

import { el } from './dom.js';
import { rgb } from './overlay.js';

/** A chart of `series` (`[{name, values}]`) over `time`; `onSeek(t)` is called when it is clicked or dragged. */
export function chart(title, time, series, onSeek) {
  const canvas = el('canvas', { class: 'chart', width: 900, height: 180, dataset: { series: String(series.length) } });
  const names = el('ul', { class: 'series' }, series.map((s, i) => {
    const [r, g, b] = rgb(i);
    return el('li', {}, el('span', { class: 'swatch', style: { background: `rgb(${r},${g},${b})` } }), s.name);
  }));
  const node = el('figure', { class: 'chart-box' }, el('h3', {}, title), canvas, el('details', {}, el('summary', {}, `${series.length} series`), names));
  const t0 = time.length ? time[0] : 0;
  const t1 = time.length ? time[time.length - 1] : 1;
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) for (const v of s.values) if (v !== null) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  if (!(hi > lo)) { lo -= 1; hi += 1; }
  const pad = 6;
  const x = (t) => pad + ((t - t0) / (t1 - t0 || 1)) * (canvas.width - 2 * pad);
  const y = (v) => canvas.height - pad - ((v - lo) / (hi - lo)) * (canvas.height - 2 * pad);
  const base = document.createElement('canvas');
  base.width = canvas.width;
  base.height = canvas.height;
  const bctx = base.getContext('2d');
  series.forEach((s, i) => {
    const [r, g, b] = rgb(i);
    bctx.strokeStyle = `rgb(${r},${g},${b})`;
    bctx.lineWidth = 1.2;
    bctx.beginPath();
    let pen = false;
    s.values.forEach((v, k) => {
      if (v === null) { pen = false; return; }
      if (pen) bctx.lineTo(x(time[k]), y(v)); else bctx.moveTo(x(time[k]), y(v));
      pen = true;
    });
    bctx.stroke();
  });
  const ctx = canvas.getContext('2d');
  const cursor = (t) => {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(base, 0, 0);
    ctx.strokeStyle = '#111';
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(x(t), 0);
    ctx.lineTo(x(t), canvas.height);
    ctx.stroke();
    canvas.dataset.cursor = t.toFixed(3);
  };
  const seekAt = (e) => {
    const r = canvas.getBoundingClientRect();
    const frac = Math.min(1, Math.max(0, ((e.clientX - r.left) * (canvas.width / r.width) - pad) / (canvas.width - 2 * pad)));
    onSeek(t0 + frac * (t1 - t0));
  };
  let dragging = false;
  canvas.addEventListener('pointerdown', (e) => { dragging = true; canvas.setPointerCapture(e.pointerId); seekAt(e); });
  canvas.addEventListener('pointermove', (e) => { if (dragging) seekAt(e); });
  canvas.addEventListener('pointerup', () => { dragging = false; });
  cursor(t0);
  return { node, cursor, start: t0 };
}
