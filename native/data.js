// Datasets shipped in native/data (see native/data/README.md for sources and licences).
// Nothing is fetched at run time.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const dir = fileURLToPath(new URL("./data/", import.meta.url));

function readCsv(name) {
  const lines = readFileSync(dir + name, "utf8")
    .trim()
    .split("\n");
  const header = lines[0].split(",");
  const rows = lines.length - 1;
  const cols = header.length - 1;
  const x = new Float32Array(rows * cols);
  const y = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const v = lines[r + 1].split(",");
    for (let c = 0; c < cols; c++) x[r * cols + c] = Number(v[c]);
    y[r] = Number(v[cols]);
  }
  return { x, y, rows, cols, features: header.slice(0, cols) };
}

/** 1797 8×8 handwritten digits (pixels 0–16), labels 0–9. */
export function loadDigits() {
  return { ...readCsv("digits.csv"), classes: 10 };
}

/** 442 diabetes patients, 10 raw features, target: disease progression after one year. */
export function loadDiabetes() {
  return readCsv("diabetes.csv");
}

/** ~1 MB of Shakespeare plays (public domain), ASCII. */
export function loadShakespeare() {
  return readFileSync(dir + "shakespeare.txt");
}

/** Deterministic shuffled split of a tabular set into train / validation. */
export function splitRows({ x, y, rows, cols }, valFraction = 0.2, seed = 1) {
  const idx = Array.from({ length: rows }, (_, i) => i);
  let s = seed >>> 0 || 1;
  const rand = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  for (let i = rows - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  const yCols = y.length / rows;
  const nVal = Math.round(rows * valFraction);
  const take = (ids) => {
    const xs = new Float32Array(ids.length * cols);
    const ys = new Float32Array(ids.length * yCols);
    ids.forEach((r, i) => {
      xs.set(x.subarray(r * cols, (r + 1) * cols), i * cols);
      ys.set(y.subarray(r * yCols, (r + 1) * yCols), i * yCols);
    });
    return { x: xs, y: ys, rows: ids.length, cols };
  };
  return { train: take(idx.slice(nVal)), val: take(idx.slice(0, nVal)) };
}

/** Splits text bytes: the last `valFraction` is held out. */
export function splitText(bytes, valFraction = 0.1) {
  const cut = Math.floor(bytes.length * (1 - valFraction));
  return { train: bytes.subarray(0, cut), val: bytes.subarray(cut) };
}

/** Unigram (byte-frequency) entropy in nats: the loss of a model that ignores context. */
export function unigramEntropy(bytes) {
  const counts = new Float64Array(256);
  for (const b of bytes) counts[b]++;
  let h = 0;
  for (const c of counts) if (c > 0) h -= (c / bytes.length) * Math.log(c / bytes.length);
  return h;
}
