// A LeRobot episode: every camera's video played in sync, the episode's state and action series charted under
// them, a cursor that follows playback, and charts that seek the videos when clicked or dragged.

import * as api from './api.js';
import { el, replace } from './dom.js';
import { chart } from './chart.js';

export async function episodePage({ ws, table, rowid, main }) {
  const ep = await api.get(`${api.table(ws, table)}/rows/${encodeURIComponent(rowid)}/episode`);
  const videos = ep.videos.map((c) => el('video', { src: api.cellUrl(ws, table, rowid, c), preload: 'auto', muted: true, playsInline: true, dataset: { column: c } }));
  const boxes = ep.videos.map((c, i) => el('figure', { class: 'camera' }, videos[i], el('figcaption', {}, c)));
  // Time in the frames table starts at the episode's first frame; the videos start there too.
  const t0 = ep.time.length ? ep.time[0] : 0;
  const seek = (t) => {
    for (const v of videos) v.currentTime = Math.max(0, t - t0);
    charts.forEach((c) => c.cursor(t));
  };
  const charts = ep.groups.map((g) => chart(g.name, ep.time, g.series, seek));
  const clock = el('span', { class: 'clock' }, '0.00 s');
  const play = el('button', {
    type: 'button',
    class: 'play',
    onclick: () => {
      const master = videos.find((v) => !v.error);
      if (!master) return;
      if (master.paused) videos.forEach((v) => { v.play().catch(() => {}); });
      else videos.forEach((v) => v.pause());
    },
  }, 'Play / pause');
  replace(main,
    el('div', { class: 'toolbar' }, el('h1', {}, `${table} · episode ${ep.episode_index}`), play, clock,
      el('span', { class: 'muted' }, `${ep.time.length} frames from ${ep.frames_table}`)),
    el('div', { class: 'cameras' }, boxes.length ? boxes : el('p', { class: 'muted' }, 'no video columns')),
    el('div', { class: 'charts' }, charts.map((c) => c.node)));
  // The first playable video leads; the others follow it, and the charts' cursors follow it.
  const tick = () => {
    if (!main.contains(videos[0] || clock)) return;
    const master = videos.find((v) => !v.error && v.readyState > 0);
    if (master) {
      const t = master.currentTime;
      for (const v of videos) {
        if (v !== master && !v.error && Math.abs(v.currentTime - t) > 0.08) v.currentTime = t;
      }
      charts.forEach((c) => c.cursor(t + t0));
      clock.textContent = `${t.toFixed(2)} s`;
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}
