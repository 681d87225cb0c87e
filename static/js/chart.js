// The up/down speed chart of the last 60 seconds, drawn on a canvas (no library). The value
// axis uses the cards' formatter, so it follows the GiB/GB units switch; the time axis runs
// from 60 seconds ago to now. The labels drawn are also listed in the canvas's aria-label and
// data-x-labels / data-y-labels, for screen readers and tests.
import { fmtSpeed, unitsBinary } from './dom.js';
import { t } from './i18n.js';

const SPAN_SECS = 60;
const LEFT = 74; // room for "1023.9 MiB/s"
const TOP = 10;
const BOTTOM = 22; // room for the time labels

/** The value axis, top to bottom: max, ¾, ½, ¼, 0 of `max` (KiB/s). */
export function valueLabels(max) {
  return [4, 3, 2, 1, 0].map((q) => fmtSpeed((max * q) / 4));
}

/** The time axis, left to right. */
export function timeLabels() {
  return [SPAN_SECS, SPAN_SECS / 2, 0].map((s) => (s ? t('chart_ago').replace('{n}', s) : t('chart_now')));
}

/** A round top for the axis at or above `peak` (KiB/s), round in the units shown (KB/s or
 * KiB/s, MB/s or MiB/s, as `fmtSpeed` picks): 1, 2 or 4 times a power of ten, at least 4,
 * so that its quarters are round too. */
function niceMax(peak) {
  const k = unitsBinary() ? 1024 : 1000;
  const bytes = Math.max(0, peak) * 1024;
  const unit = bytes >= k * k ? k * k : k;
  const p = Math.max(4, bytes / unit);
  const pow = 10 ** Math.floor(Math.log10(p));
  const top = [1, 2, 4, 10].map((m) => m * pow).find((v) => v >= p);
  return (top * unit) / 1024;
}

export function drawChart(canvas, points) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 600;
  const hgt = canvas.clientHeight || 180;
  if (canvas.width !== w * dpr) { canvas.width = w * dpr; canvas.height = hgt * dpr; }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, hgt);
  const style = getComputedStyle(document.documentElement);
  const grid = style.getPropertyValue('--border').trim() || '#ccc';
  const text = style.getPropertyValue('--muted').trim() || '#888';
  const max = niceMax(Math.max(0, ...points.map((p) => Math.max(p.up, p.down))));
  const ys = valueLabels(max);
  const xs = timeLabels();
  const plotH = hgt - TOP - BOTTOM;
  ctx.font = '11px sans-serif';
  ctx.lineWidth = 1;
  ys.forEach((label, i) => {
    const y = TOP + (plotH * i) / 4;
    ctx.strokeStyle = grid;
    ctx.beginPath(); ctx.moveTo(LEFT, y); ctx.lineTo(w, y); ctx.stroke();
    ctx.fillStyle = text;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    ctx.fillText(label, LEFT - 6, y);
  });
  ctx.textBaseline = 'bottom';
  xs.forEach((label, i) => {
    ctx.textAlign = ['left', 'center', 'right'][i];
    ctx.fillText(label, LEFT + ((w - LEFT) * i) / 2, hgt - 2);
  });
  const now = points.length ? points[points.length - 1].at : 0;
  const xOf = (p, i) => {
    const ago = Number.isFinite(p.at) && Number.isFinite(now) ? now - p.at : points.length - 1 - i;
    return LEFT + (w - LEFT) * (1 - Math.min(SPAN_SECS, ago) / SPAN_SECS);
  };
  const line = (key, color) => {
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    points.forEach((p, i) => {
      const y = TOP + plotH - (plotH * p[key]) / max;
      if (i === 0) ctx.moveTo(xOf(p, i), y); else ctx.lineTo(xOf(p, i), y);
    });
    ctx.stroke();
  };
  line('up', '#e67e22');
  line('down', '#2e86de');
  canvas.dataset.yLabels = ys.join(' | ');
  canvas.dataset.xLabels = xs.join(' | ');
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', `${t('speed')}: ${ys[0]} … ${ys[4]}; ${xs.join(' … ')}`);
}
