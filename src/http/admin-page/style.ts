/** The status page's style, inline: system fonts, no images, readable on a phone and a desk. */
export const STYLE = `
[hidden] { display: none !important; }
:root { color-scheme: light dark; font: 16px/1.45 system-ui, sans-serif; }
body { margin: 0 auto; max-width: 60rem; padding: 0 1rem 3rem; }
header { display: flex; justify-content: space-between; align-items: baseline; border-bottom: 1px solid #8886; }
h1 { font-size: 1.3rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
section { margin-bottom: 1rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #8884; vertical-align: top; }
form { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
input { font: inherit; padding: .3rem .5rem; min-width: 14rem; }
button { font: inherit; padding: .3rem .8rem; cursor: pointer; }
button.link { background: none; border: 0; padding: 0; text-decoration: underline; color: inherit; }
.group { border: 1px solid #8886; border-radius: .4rem; padding: .5rem 1rem; margin: .5rem 0; }
.group-head { display: flex; justify-content: space-between; gap: 1rem; align-items: baseline; }
.group li { display: flex; gap: 1rem; align-items: center; margin: .2rem 0; }
.message { font-weight: 600; }
.error { color: #c0392b; }
.paused { font-weight: 600; color: #b9770e; }
.transfer.failed { color: #c0392b; text-decoration: underline dotted; }
.transfer.pending { color: #b9770e; }
.transfer.synced { color: #1e8449; }
.timeline { font-size: .9rem; }
`;
