/** The report's inline stylesheet (no web fonts or external files: the page must open offline). */
export const REPORT_CSS = `
:root { --ink: #1f2933; --muted: #616e7c; --line: #e4e7eb; --accent: #2f6fb0; --soft: #f5f7fa; --hi: #fff4d6; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--soft); color: var(--ink); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 1080px; margin: 0 auto; padding: 24px 20px 48px; }
header { margin-bottom: 8px; }
h1 { font-size: 26px; margin: 0; }
h2 { font-size: 19px; margin: 0 0 12px; color: var(--accent); }
h3 { font-size: 15px; margin: 18px 0 8px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.sub { margin: 2px 0 14px; color: var(--muted); font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 13px; word-break: break-all; }
section { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 18px 20px; margin: 16px 0; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; }
.card { background: #fff; border: 1px solid var(--line); border-left: 4px solid var(--accent); border-radius: 8px; padding: 8px 14px; min-width: 130px; }
.card .k { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .v { font-size: 20px; font-weight: 600; }
table { border-collapse: collapse; margin: 4px 0 8px; font-size: 14px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 12px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td { word-break: break-word; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.best td { background: var(--hi); font-weight: 600; }
tr.total td { border-top: 2px solid var(--line); color: var(--muted); }
img { max-width: 100%; height: auto; display: block; }
img.wide { border: 1px solid var(--line); border-radius: 6px; margin: 8px 0; }
img.confusion { max-width: 420px; }
.side { display: flex; flex-wrap: wrap; gap: 28px; align-items: flex-start; }
.note { color: var(--muted); font-style: italic; }
.banner { background: var(--hi); border: 1px solid #e0b84c; border-radius: 8px; padding: 8px 14px; margin: 0 0 12px; font-weight: 600; }
.thumbs { display: flex; flex-wrap: wrap; gap: 14px; }
figure { margin: 0; width: 168px; background: var(--soft); border: 1px solid var(--line); border-radius: 8px; padding: 4px; }
figure img { width: 160px; height: 160px; object-fit: cover; border-radius: 5px; }
figcaption { font-size: 12.5px; padding: 4px 2px 0; }
figcaption .file { color: var(--muted); font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 11.5px; word-break: break-all; }
.gone { width: 160px; height: 160px; display: flex; align-items: center; justify-content: center; color: var(--muted); font-size: 12px; text-align: center; }
details { margin-top: 14px; }
summary { cursor: pointer; color: var(--accent); }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 10px; overflow-x: auto; font-size: 12px; }
`;
