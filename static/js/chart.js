// The up/down speed chart of the last 60 seconds, drawn on a canvas (no library).

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
  const max = Math.max(1, ...points.map((p) => Math.max(p.up, p.down)));
  ctx.strokeStyle = grid;
  ctx.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const y = 10 + ((hgt - 20) * i) / 4;
    ctx.beginPath(); ctx.moveTo(40, y); ctx.lineTo(w, y); ctx.stroke();
  }
  ctx.fillStyle = text;
  ctx.font = '11px sans-serif';
  ctx.fillText(`${max.toFixed(0)} KiB/s`, 2, 12);
  const line = (key, color) => {
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    points.forEach((p, i) => {
      const x = 40 + ((w - 40) * (i + 60 - points.length)) / 59;
      const y = hgt - 10 - ((hgt - 20) * p[key]) / max;
      if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    });
    ctx.stroke();
  };
  line('up', '#e67e22');
  line('down', '#2e86de');
}
