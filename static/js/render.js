// Canvas drawing only: reads plain view objects, never changes game state. Everything is laid out
// in whole device pixels (the backing store is scaled by devicePixelRatio) so cells stay crisp.
// Player names are drawn with fillText, which never interprets them.
import { stillFrame } from './animations.js';
import { HEIGHT, WIDTH } from './rules/field.js';
import { pieceCells } from './rules/pieces.js';

// Guideline colours
export const COLORS = Object.freeze({
  I: '#2fd4f0', O: '#f5d320', T: '#a64ddb', S: '#46c93a',
  Z: '#ec3b3b', J: '#3866e8', L: '#f28a1e', G: '#7d8591',
});
// Hidden rows (rules.md "The field") are drawn above the well, every occupied one in one neutral
// colour: the wire sends them without letters (docs/protocol.md "Hidden rows").
const SHOWN_HIDDEN = 2; // the player's layout always has room for the spawn rows
export const MAX_SHOWN_HIDDEN = 8; // a taller stack is clipped: the well must stay large
const HIDDEN_COLOR = '#505a6e';
const SIDE = 5; // cells of the hold and next columns either side of the player's field
const OPPONENT_HEADER = 1.6; // rows of the name above the opponent's field
export const PREVIEW_COUNT = 5; // coming pieces shown: fewer than the server's preview holds
const FONT = 'system-ui, -apple-system, "Segoe UI", sans-serif';

/** Size the backing store to the element's CSS box × devicePixelRatio; returns the context. */
export function fitCanvas(canvas, dpr = globalThis.devicePixelRatio || 1) {
  const width = Math.max(1, Math.round(canvas.clientWidth * dpr));
  const height = Math.max(1, Math.round(canvas.clientHeight * dpr));
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, width, height);
  return { ctx, width, height, dpr };
}

function drawCell(ctx, px, py, size, letter, alpha = 1, color = COLORS[letter] ?? COLORS.G) {
  ctx.globalAlpha = alpha;
  ctx.fillStyle = color;
  ctx.fillRect(px, py, size, size);
  if (size >= 6) {
    const bevel = Math.max(1, Math.round(size / 8));
    ctx.fillStyle = 'rgba(255,255,255,0.28)';
    ctx.fillRect(px, py, size, bevel);
    ctx.fillStyle = 'rgba(0,0,0,0.25)';
    ctx.fillRect(px, py + size - bevel, size, bevel);
  }
  ctx.globalAlpha = 1;
}

function drawWell(ctx, x0, y0, cell) {
  ctx.fillStyle = '#0b0f1a';
  ctx.fillRect(x0, y0, WIDTH * cell, HEIGHT * cell);
  ctx.fillStyle = 'rgba(255,255,255,0.045)';
  for (let x = 1; x < WIDTH; x += 1) ctx.fillRect(x0 + x * cell, y0, 1, HEIGHT * cell);
  for (let y = 1; y < HEIGHT; y += 1) ctx.fillRect(x0, y0 + y * cell, WIDTH * cell, 1);
  ctx.strokeStyle = '#3a4763';
  ctx.lineWidth = Math.max(1, Math.round(cell / 12));
  ctx.strokeRect(x0 - ctx.lineWidth / 2, y0 - ctx.lineWidth / 2,
    WIDTH * cell + ctx.lineWidth, HEIGHT * cell + ctx.lineWidth);
}

/**
 * How many hidden rows to draw above `field`: every occupied one (from the highest down to row
 * -1), at least `least`, at most MAX_SHOWN_HIDDEN.
 */
export function hiddenRowsShown(field, least = 0) {
  return Math.min(MAX_SHOWN_HIDDEN, Math.max(least, field.hiddenHeight()));
}

// The field's cells from row `firstRow` (negative: hidden rows, in the neutral colour) down.
function drawRows(ctx, x0, y0, cell, field, firstRow) {
  for (let y = firstRow; y < HEIGHT; y += 1) {
    for (let x = 0; x < WIDTH; x += 1) {
      const letter = field.get(x, y);
      if (letter !== '.' && letter !== '#') {
        const color = y < 0 ? HIDDEN_COLOR : undefined;
        drawCell(ctx, x0 + x * cell, y0 + y * cell, cell, letter, 1, color);
      }
    }
  }
}

function drawPiece(ctx, x0, y0, cell, state, alpha, shown) {
  for (const [dx, dy] of pieceCells(state.piece, state.r)) {
    const y = state.y + dy;
    if (y < -shown) continue;
    drawCell(ctx, x0 + (state.x + dx) * cell, y0 + y * cell, cell, state.piece,
      y < 0 ? alpha * 0.4 : alpha);
  }
}

function drawGhost(ctx, x0, y0, cell, state) {
  ctx.strokeStyle = COLORS[state.piece];
  ctx.globalAlpha = 0.55;
  ctx.lineWidth = Math.max(1, Math.round(cell / 14));
  const inset = ctx.lineWidth / 2 + 1;
  for (const [dx, dy] of pieceCells(state.piece, state.r)) {
    if (state.y + dy < 0) continue;
    ctx.strokeRect(x0 + (state.x + dx) * cell + inset, y0 + (state.y + dy) * cell + inset,
      cell - 2 * inset, cell - 2 * inset);
  }
  ctx.globalAlpha = 1;
}

// A piece in spawn orientation centred in a box of boxW × boxH pixels.
function drawMini(ctx, bx, by, boxW, boxH, piece, cell, alpha) {
  const cells = pieceCells(piece, 0);
  const xs = cells.map(([dx]) => dx);
  const ys = cells.map(([, dy]) => dy);
  const w = (Math.max(...xs) - Math.min(...xs) + 1) * cell;
  const h = (Math.max(...ys) - Math.min(...ys) + 1) * cell;
  const ox = Math.round(bx + (boxW - w) / 2) - Math.min(...xs) * cell;
  const oy = Math.round(by + (boxH - h) / 2) - Math.min(...ys) * cell;
  for (const [dx, dy] of cells) drawCell(ctx, ox + dx * cell, oy + dy * cell, cell, piece, alpha);
}

function label(ctx, text, x, y, size, align = 'left', color = '#9fb0d0') {
  ctx.font = `600 ${size}px ${FONT}`;
  ctx.fillStyle = color;
  ctx.textAlign = align;
  ctx.textBaseline = 'top';
  ctx.fillText(text, x, y);
}

function drawPanel(ctx, x, y, w, h, cell) {
  ctx.fillStyle = 'rgba(20, 30, 52, 0.75)';
  ctx.fillRect(x, y, w, h);
  ctx.strokeStyle = '#26324d';
  ctx.lineWidth = Math.max(1, Math.round(cell / 16));
  ctx.strokeRect(x + 0.5, y + 0.5, w - 1, h - 1);
}

// Cell size for a grid of cols × rows in width × height pixels, leaving room for the border.
function cellSize(width, height, cols, rows) {
  return Math.max(2, Math.floor(Math.min((width - 4) / cols, (height - 4) / rows)));
}

/**
 * Where drawPlayer puts things on a backing store of width × height device pixels with `shown`
 * hidden rows above the field (hiddenRowsShown): the cell size, the top-left corner of the
 * visible field (x0, y0) and the left edge of the whole layout.
 */
export function playerLayout(width, height, shown = SHOWN_HIDDEN) {
  const cols = WIDTH + 2 * SIDE;
  const rows = HEIGHT + shown;
  const cell = cellSize(width, height, cols, rows);
  const left = Math.floor((width - cols * cell) / 2);
  const y0 = Math.floor((height - rows * cell) / 2) + shown * cell;
  return { cell, left, x0: left + SIDE * cell, y0 };
}

/**
 * Where drawOpponent puts the field: the cell size and the top-left corner of its visible rows,
 * with `shown` hidden rows and the name above them.
 */
export function opponentLayout(width, height, shown = 0) {
  const cell = cellSize(width, height, WIDTH, HEIGHT + OPPONENT_HEADER + shown);
  return { cell, x0: Math.floor((width - WIDTH * cell) / 2),
    y0: Math.floor(height - HEIGHT * cell - 2) };
}

// The garbage queue beside the field: a column of pending lines from the bottom, red from
// GARBAGE_ALARM lines up (they will push the stack that far at the next lock).
const GARBAGE_ALARM = 4;

function drawGarbageMeter(ctx, x, y0, cell, lines) {
  const w = Math.max(3, Math.round(cell * 0.4));
  ctx.fillStyle = 'rgba(20, 30, 52, 0.9)';
  ctx.fillRect(x, y0, w, HEIGHT * cell);
  if (lines <= 0) return;
  const h = Math.min(lines, HEIGHT) * cell;
  ctx.fillStyle = lines >= GARBAGE_ALARM ? '#ff3b3b' : '#f5a623';
  ctx.fillRect(x, y0 + HEIGHT * cell - h, w, h);
  ctx.fillStyle = 'rgba(0,0,0,0.35)'; // one notch per line, so 3 and 4 read apart
  for (let k = 1; k < Math.min(lines, HEIGHT); k += 1) {
    ctx.fillRect(x, y0 + (HEIGHT - k) * cell, w, 1);
  }
}

// The locked blocks, drawn through the running animation (animations.js): shaken, risen or
// fallen by whole-cell fractions, squeezed, clipped to the well and the `shown` hidden rows.
function drawStack(ctx, x0, y0, cell, field, fx, shown) {
  ctx.save();
  ctx.beginPath();
  ctx.rect(x0, y0 - shown * cell, WIDTH * cell, (HEIGHT + shown) * cell);
  ctx.clip();
  const cx = x0 + (WIDTH * cell) / 2;
  ctx.translate(cx, Math.round(fx.rise * cell));
  ctx.scale(fx.squeeze, 1);
  ctx.translate(-cx, 0);
  drawRows(ctx, x0, y0, cell, field, -shown);
  ctx.restore();
}

function drawFlashes(ctx, x0, y0, cell, fx) {
  if (fx.flash > 0) {
    ctx.fillStyle = `rgba(255, 244, 214, ${(0.75 * fx.flash).toFixed(3)})`;
    ctx.fillRect(x0, y0, WIDTH * cell, HEIGHT * cell);
  }
  if (fx.wipe !== null) {
    const w = WIDTH * cell;
    const gradient = ctx.createLinearGradient(x0, 0, x0 + w, 0);
    const at = Math.min(1, fx.wipe);
    gradient.addColorStop(0, 'rgba(255,255,255,0)');
    gradient.addColorStop(at, `rgba(255,255,255,${(0.85 * (1 - fx.wipe / 2)).toFixed(3)})`);
    gradient.addColorStop(Math.min(1, at + 0.001), 'rgba(255,255,255,0)');
    ctx.fillStyle = gradient;
    ctx.fillRect(x0, y0 + (HEIGHT - 1) * cell, w, cell);
  }
}

/**
 * The player's field with hold (left), the garbage meter and next pieces (right).
 * view: {field (engine Field), active, ghost (states or null), hold, canHold, next: [letters],
 * incoming (pending garbage lines), fx (animations.js frame, optional)}
 */
export function drawPlayer(canvas, view) {
  const { ctx, width, height } = fitCanvas(canvas);
  const shown = hiddenRowsShown(view.field, SHOWN_HIDDEN);
  const { cell, left, x0: baseX, y0 } = playerLayout(width, height, shown);
  const fx = view.fx ?? stillFrame();
  const x0 = baseX + Math.round(fx.shake * cell);
  drawWell(ctx, x0, y0, cell);
  drawStack(ctx, x0, y0, cell, view.field, fx, shown);
  if (view.ghost) drawGhost(ctx, x0, y0, cell, view.ghost);
  if (view.active) drawPiece(ctx, x0, y0, cell, view.active, 1, shown);
  drawFlashes(ctx, x0, y0, cell, fx);
  drawGarbageMeter(ctx, baseX - Math.round(cell * 0.75), y0, cell, view.incoming ?? 0);

  const mini = Math.max(2, Math.floor(cell * 0.8));
  const boxW = (SIDE - 1) * cell;
  const textSize = Math.max(9, Math.round(cell * 0.7));
  const pad = Math.round(cell * 0.4);
  const hx = left;
  drawPanel(ctx, hx, y0, boxW, 4.4 * cell, cell);
  label(ctx, 'HOLD', hx + pad, y0 + pad, textSize);
  if (view.hold) {
    drawMini(ctx, hx, y0 + cell, boxW, 3.4 * cell, view.hold, mini, view.canHold ? 1 : 0.35);
  }
  const nx = baseX + WIDTH * cell + Math.round(cell / 2);
  drawPanel(ctx, nx, y0, boxW, (1.4 + PREVIEW_COUNT * 2.8) * cell, cell);
  label(ctx, 'NEXT', nx + pad, y0 + pad, textSize);
  view.next.slice(0, PREVIEW_COUNT).forEach((piece, k) => {
    drawMini(ctx, nx, y0 + 1.2 * cell + k * 2.8 * cell, boxW, 2.8 * cell, piece, mini, 1);
  });
}

/**
 * The opponent's field, smaller, with their name above (and their occupied hidden rows between).
 * view: {field (rules Field), name, away}
 */
export function drawOpponent(canvas, view) {
  const { ctx, width, height } = fitCanvas(canvas);
  const shown = hiddenRowsShown(view.field);
  const { cell, x0, y0 } = opponentLayout(width, height, shown);
  label(ctx, view.name ?? '', x0 + (WIDTH * cell) / 2,
    Math.max(0, y0 - (OPPONENT_HEADER + shown) * cell),
    Math.max(9, Math.round(cell * 1.05)), 'center', '#e6ecff');
  drawWell(ctx, x0, y0, cell);
  drawRows(ctx, x0, y0, cell, view.field, -shown);
  if (view.away) { // dimmed; the words ("opponent connection lost") are a DOM note above it
    ctx.fillStyle = 'rgba(5,8,15,0.7)';
    ctx.fillRect(x0, y0, WIDTH * cell, HEIGHT * cell);
  }
}
