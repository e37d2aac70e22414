// Draws the default catalogue's product photos (flows/photos/*.png): a soft
// background in the product's colours, a drop shadow and the product itself
// (a bar in its wrapper, a bottle, an office box of bars). Run: node scripts/make-photos.mjs
import { writeFileSync } from "node:fs";
import { PNG } from "pngjs";

const W = 480;
const H = 360;

const hex = (h) => [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)];
const mix = (a, b, t) => a.map((v, i) => v + (b[i] - v) * t);
const clamp = (v, lo = 0, hi = 1) => Math.max(lo, Math.min(hi, v));

/** signed distance to a rounded box centred at (cx, cy), half sizes hw/hh, radius r, rotated by a */
function box(x, y, cx, cy, hw, hh, r, a = 0) {
  const c = Math.cos(-a);
  const s = Math.sin(-a);
  const dx = (x - cx) * c - (y - cy) * s;
  const dy = (x - cx) * s + (y - cy) * c;
  const qx = Math.abs(dx) - hw + r;
  const qy = Math.abs(dy) - hh + r;
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
}
const circle = (x, y, cx, cy, r) => Math.hypot(x - cx, y - cy) - r;
/** local coordinates in a rotated frame */
function local(x, y, cx, cy, a) {
  const c = Math.cos(-a);
  const s = Math.sin(-a);
  return [(x - cx) * c - (y - cy) * s, (x - cx) * s + (y - cy) * c];
}

function canvas(bgTop, bgBottom) {
  const px = new Float32Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const t = y / H;
      const glow = clamp(1 - Math.hypot(x - W * 0.3, y - H * 0.2) / (W * 0.8));
      const c = mix(mix(bgTop, bgBottom, t), [255, 255, 255], glow * 0.35);
      px.set(c, (y * W + x) * 3);
    }
  }
  return {
    /** paint colour `col` (or col(x, y)) where the distance d(x, y) is inside, anti-aliased; `soft` px of blur */
    fill(d, col, alpha = 1, soft = 0) {
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const dist = d(x + 0.5, y + 0.5);
          const cover = soft > 0 ? clamp(0.5 - dist / soft) : clamp(0.5 - dist);
          if (cover <= 0) continue;
          const i = (y * W + x) * 3;
          const c = typeof col === "function" ? col(x, y) : col;
          const k = cover * alpha;
          px[i] += (c[0] - px[i]) * k;
          px[i + 1] += (c[1] - px[i + 1]) * k;
          px[i + 2] += (c[2] - px[i + 2]) * k;
        }
      }
    },
    save(path) {
      const png = new PNG({ width: W, height: H, colorType: 2 });
      for (let i = 0, j = 0; i < W * H; i++) {
        png.data[j++] = clamp(Math.round(px[i * 3]), 0, 255);
        png.data[j++] = clamp(Math.round(px[i * 3 + 1]), 0, 255);
        png.data[j++] = clamp(Math.round(px[i * 3 + 2]), 0, 255);
        png.data[j++] = 255;
      }
      const buf = PNG.sync.write(png, { colorType: 2, deflateLevel: 9 });
      writeFileSync(path, buf);
      return buf.length;
    },
  };
}

function shade(col, x, y, cx, cy, a, hh) {
  const [, ly] = local(x, y, cx, cy, a);
  return mix(col, [255, 255, 255], clamp(0.18 - ly / hh * 0.18)).map((v, i) => v * (1 - clamp(ly / hh) * 0.18) + 0 * i);
}

function bar(name, { bg, wrap, band, dots }) {
  const c = canvas(hex(bg[0]), hex(bg[1]));
  const cx = W / 2;
  const cy = H / 2 - 6;
  const a = -0.2;
  const hw = 165;
  const hh = 52;
  c.fill((x, y) => box(x, y, cx + 8, cy + 70, hw * 0.95, 16, 16), [0, 0, 0], 0.22, 22);
  const w = hex(wrap);
  c.fill((x, y) => box(x, y, cx, cy, hw, hh, 14, a), (x, y) => shade(w, x, y, cx, cy, a, hh));
  // crimped ends
  for (const side of [-1, 1]) {
    c.fill((x, y) => {
      const [lx, ly] = local(x, y, cx, cy, a);
      const zig = Math.abs(((ly + 200) % 10) - 5) * 0.9;
      return Math.max(Math.abs(lx - side * (hw - 9)) - 9 - (side * (lx - side * (hw - 9)) > 0 ? -zig : 0), Math.abs(ly) - hh + 2);
    }, mix(w, [0, 0, 0], 0.18));
  }
  // label band
  const b = hex(band);
  c.fill((x, y) => box(x, y, cx, cy, 78, hh + 0.5, 4, a), b);
  c.fill((x, y) => box(x, y, cx, cy, 60, 20, 10, a), mix(w, [0, 0, 0], 0.05));
  c.fill((x, y) => box(x, y, cx, cy, 52, 4, 3, a), b);
  // sheen
  c.fill((x, y) => box(x, y, cx, cy - 34, hw - 26, 5, 5, a), [255, 255, 255], 0.22, 3);
  // what is inside, scattered beside the bar
  const d = hex(dots);
  const spots = [
    [70, 70, 13], [106, 52, 8], [410, 290, 14], [372, 312, 9], [420, 250, 7], [60, 300, 10],
  ];
  for (const [x0, y0, r] of spots) {
    c.fill((x, y) => circle(x, y, x0 + 2, y0 + 4, r), [0, 0, 0], 0.15, 6);
    c.fill((x, y) => circle(x, y, x0, y0, r), (x, y) => mix(d, [255, 255, 255], clamp(0.35 - Math.hypot(x - x0 + r / 3, y - y0 + r / 3) / r * 0.5)));
  }
  return c.save(`flows/photos/${name}.png`);
}

function bottle(name, { bg, body, cap, label }) {
  const c = canvas(hex(bg[0]), hex(bg[1]));
  const cx = W / 2;
  c.fill((x, y) => box(x, y, cx + 6, 322, 70, 12, 12), [0, 0, 0], 0.25, 20);
  const bd = hex(body);
  const sh = (x) => mix(bd, [0, 0, 0], clamp(Math.abs(x - cx + 18) / 90) * 0.35);
  c.fill((x, y) => box(x, y, cx, 215, 62, 105, 26), (x) => sh(x));
  c.fill((x, y) => box(x, y, cx, 98, 34, 26, 12), (x) => sh(x));
  c.fill((x, y) => box(x, y, cx, 64, 40, 16, 6), hex(cap));
  c.fill((x, y) => box(x, y, cx, 64, 40, 1, 1), mix(hex(cap), [0, 0, 0], 0.2));
  const lb = hex(label);
  c.fill((x, y) => box(x, y, cx, 222, 62.5, 48, 3), lb);
  c.fill((x, y) => box(x, y, cx, 208, 38, 7, 4), bd);
  c.fill((x, y) => box(x, y, cx, 232, 26, 5, 3), mix(bd, lb, 0.45));
  c.fill((x, y) => box(x, y, cx - 36, 205, 6, 80, 6), [255, 255, 255], 0.28, 4);
  // drops beside it
  for (const [x0, y0, r] of [[120, 280, 10], [95, 250, 6], [370, 110, 12], [395, 150, 7]]) {
    c.fill((x, y) => circle(x, y, x0, y0, r), mix(bd, [255, 255, 255], 0.25));
  }
  return c.save(`flows/photos/${name}.png`);
}

function officeBox(name, { bg, boxCol, bars, cols, rows }) {
  const c = canvas(hex(bg[0]), hex(bg[1]));
  const cx = W / 2;
  const cy = H / 2;
  const hw = 176;
  const hh = 124;
  c.fill((x, y) => box(x, y, cx + 10, cy + 14, hw, hh, 18), [0, 0, 0], 0.25, 24);
  const bx = hex(boxCol);
  c.fill((x, y) => box(x, y, cx, cy, hw, hh, 16), bx);
  c.fill((x, y) => box(x, y, cx, cy, hw - 12, hh - 12, 10), mix(bx, [0, 0, 0], 0.25));
  const cw = (2 * (hw - 20)) / cols;
  const rh = (2 * (hh - 20)) / rows;
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < cols; k++) {
      const col = hex(bars[(r * cols + k) % bars.length]);
      const x0 = cx - hw + 20 + cw * (k + 0.5);
      const y0 = cy - hh + 20 + rh * (r + 0.5);
      c.fill((x, y) => box(x, y, x0, y0, cw / 2 - 3, rh / 2 - 3, 5), (x, y) => mix(col, [255, 255, 255], clamp(0.3 - (y - y0 + rh / 2) / rh * 0.4)));
      c.fill((x, y) => box(x, y, x0, y0, cw / 2 - 3, Math.min(5, rh / 6), 2), mix(col, [255, 255, 255], 0.55));
    }
  }
  return c.save(`flows/photos/${name}.png`);
}

const BARS = ["#6b3e26", "#f1d9a0", "#c9822f", "#f5f0e6", "#c2415d"];
const sizes = {
  bar_choco: bar("bar_choco", { bg: ["#f6e7dc", "#e2c2ab"], wrap: "#5a3220", band: "#e9c27a", dots: "#3d2216" }),
  bar_vanilla: bar("bar_vanilla", { bg: ["#fff8e6", "#f1dfb0"], wrap: "#f0d68f", band: "#7a5b2e", dots: "#fff3cf" }),
  bar_peanut: bar("bar_peanut", { bg: ["#fdeedd", "#eecba1"], wrap: "#c47a2c", band: "#5c3412", dots: "#d9a066" }),
  bar_coconut: bar("bar_coconut", { bg: ["#eef3f6", "#cfdde6"], wrap: "#f7f2ea", band: "#6b3e26", dots: "#ffffff" }),
  bar_berry: bar("bar_berry", { bg: ["#fde9ee", "#f1bfcb"], wrap: "#c2415d", band: "#fbe3ea", dots: "#8e1e3a" }),
  shake_choco: bottle("shake_choco", { bg: ["#f3e6dc", "#dcc0aa"], body: "#5e3623", cap: "#2d1a10", label: "#f2d7a6" }),
  shake_vanilla: bottle("shake_vanilla", { bg: ["#fffbea", "#f2e3b5"], body: "#efd98e", cap: "#8b6a33", label: "#ffffff" }),
  shake_coffee: bottle("shake_coffee", { bg: ["#f1e9e1", "#d6c4b1"], body: "#a0704a", cap: "#3b2617", label: "#f7efe4" }),
  office_set_12: officeBox("office_set_12", { bg: ["#e9f1ec", "#c4d9cc"], boxCol: "#2f6b4f", bars: BARS, cols: 4, rows: 3 }),
  office_set_24: officeBox("office_set_24", { bg: ["#e8edf6", "#c3cfe4"], boxCol: "#2f4b7c", bars: BARS, cols: 6, rows: 4 }),
};
for (const [name, size] of Object.entries(sizes)) console.log(`flows/photos/${name}.png ${(size / 1024).toFixed(1)} KB`);
