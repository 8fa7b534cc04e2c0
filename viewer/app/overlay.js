// Masks over an image, drawn on a canvas: a COCO category mask (pixel value = category id) or a COCO panoptic
// PNG (segment id = R + 256·G + 256²·B, each segment's category from segments_info), plus annotation boxes, with a
// legend that turns each category on and off. Labels are drawn as canvas text, never markup.

import { el } from './dom.js';

/** An RGB colour per category id. */
export function rgb(id) {
  const h = ((Math.imul(id + 1, 2654435761) >>> 0) % 360) / 360;
  const f = (n) => {
    const k = (n + h * 12) % 12;
    return Math.round(255 * (0.55 - 0.44 * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}

function loadImage(src) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error('the mask could not be decoded'));
    img.src = src;
  });
}

const parse = (v) => {
  if (typeof v !== 'string') return v;
  try { return JSON.parse(v); } catch { return null; }
};

/**
 * An image with its mask and boxes: `imageUrl`, `maskUrl`, and the row's `annotations`, `segments_info` and
 * `categories` cells (JSON text).
 */
export function overlaid(imageUrl, maskUrl, cells) {
  const categories = new Map((parse(cells.categories) || []).map((c) => [c.id, c.name]));
  const segments = new Map((parse(cells.segments_info) || []).map((s) => [s.id, s.category_id]));
  const boxes = (parse(cells.annotations) || []).filter((a) => Array.isArray(a.bbox));
  const hidden = new Set();
  const canvas = el('canvas', { class: 'overlay' });
  const image = el('img', { src: imageUrl, alt: '' });
  const legend = el('ul', { class: 'legend' });
  const figure = el('figure', { class: 'overlaid' }, el('div', { class: 'stack' }, image, canvas), legend);
  let mask = null;
  let panoptic = false;

  const categoryAt = (data, i) => {
    const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
    if (!panoptic) return r;
    const id = r + 256 * g + 65536 * b;
    return id === 0 ? 0 : (segments.get(id) ?? -1);
  };

  const draw = () => {
    const ctx = canvas.getContext('2d');
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    let painted = 0;
    if (mask) {
      const out = ctx.createImageData(mask.width, mask.height);
      for (let i = 0; i < mask.data.length; i += 4) {
        const cat = categoryAt(mask.data, i);
        if (cat === 0 || hidden.has(cat)) continue;
        const [r, g, b] = rgb(cat);
        out.data[i] = r; out.data[i + 1] = g; out.data[i + 2] = b; out.data[i + 3] = 120;
        painted++;
      }
      ctx.putImageData(out, 0, 0);
    }
    ctx.lineWidth = Math.max(2, canvas.width / 400);
    ctx.font = `${Math.max(12, canvas.width / 50)}px sans-serif`;
    for (const a of boxes) {
      if (hidden.has(a.category_id)) continue;
      const [x, y, w, h] = a.bbox;
      const [r, g, b] = rgb(a.category_id);
      ctx.strokeStyle = `rgb(${r},${g},${b})`;
      ctx.strokeRect(x, y, w, h);
      ctx.fillStyle = ctx.strokeStyle;
      ctx.fillText(categories.get(a.category_id) ?? String(a.category_id), x + 2, Math.max(12, y - 3));
    }
    canvas.dataset.painted = String(painted);
    canvas.dataset.boxes = String(boxes.filter((a) => !hidden.has(a.category_id)).length);
  };

  const fillLegend = (present) => {
    legend.replaceChildren(...[...present].sort((a, b) => a - b).map((id) => {
      const [r, g, b] = rgb(id);
      const box = el('input', { type: 'checkbox', checked: true, onchange: () => { box.checked ? hidden.delete(id) : hidden.add(id); draw(); } });
      return el('li', { dataset: { category: String(id) } },
        el('label', {}, box, el('span', { class: 'swatch', style: { background: `rgb(${r},${g},${b})` } }),
          categories.get(id) ?? `category ${id}`));
    }));
  };

  image.addEventListener('load', async () => {
    canvas.width = image.naturalWidth;
    canvas.height = image.naturalHeight;
    const present = new Set(boxes.map((a) => a.category_id));
    if (maskUrl) {
      try {
        const m = await loadImage(maskUrl);
        const off = document.createElement('canvas');
        off.width = canvas.width;
        off.height = canvas.height;
        const octx = off.getContext('2d', { willReadFrequently: true });
        octx.imageSmoothingEnabled = false;
        octx.drawImage(m, 0, 0, off.width, off.height);
        mask = octx.getImageData(0, 0, off.width, off.height);
        for (let i = 0; i < mask.data.length && !panoptic; i += 4) {
          panoptic = mask.data[i] !== mask.data[i + 1] || mask.data[i + 1] !== mask.data[i + 2];
        }
        const seen = new Set();
        for (let i = 0; i < mask.data.length; i += 4) seen.add(categoryAt(mask.data, i));
        seen.delete(0);
        seen.delete(-1);
        seen.forEach((c) => present.add(c));
      } catch (err) {
        figure.append(el('p', { class: 'error' }, err.message));
      }
    }
    fillLegend(present);
    draw();
    figure.dataset.ready = 'true';
  });
  return figure;
}
