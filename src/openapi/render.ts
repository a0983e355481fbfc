import type { JsonSchema } from './from-valibot';
import { anchor, h, markdown, Safe } from './html';
import { arr, obj, schemaHtml, str } from './schema-html';

/**
 * The reference page at `/docs`, rendered on the server from the OpenAPI document: every
 * path and method with its parameters, bodies and answers, the schemas, the security schemes
 * and one anchored entry per problem type (`#problem-<slug>`). Plain HTML, no scripts.
 */

// A constant of this file, inserted as it is: escaping would break the quotes in <style>.
const STYLE = `
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#fff}
main{max-width:70rem;margin:0 auto;padding:1rem 1.5rem 4rem}
nav{columns:2;font-size:.9rem}nav ul{margin:.25rem 0 1rem;padding-left:1.2rem}
h1{margin:.5rem 0}h2{margin-top:2.5rem;border-bottom:1px solid #d0d7de}h3{margin:0}
section.op{border:1px solid #d0d7de;border-radius:.5rem;padding:1rem;margin:1.25rem 0}
.method{display:inline-block;min-width:4.5rem;font:700 .8rem ui-monospace,monospace;text-transform:uppercase;padding:.15rem .4rem;border-radius:.3rem;background:#ddf4ff;color:#0550ae;text-align:center}
.method.post{background:#dafbe1;color:#116329}.method.put{background:#fff8c5;color:#7d4e00}.method.delete{background:#ffebe9;color:#a40e26}
code{font:.85em ui-monospace,SFMono-Regular,Menlo,monospace;background:#f6f8fa;padding:.1em .3em;border-radius:.25rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}td,th{border:1px solid #d0d7de;padding:.35rem .5rem;vertical-align:top;text-align:left}
th{background:#f6f8fa}.req{color:#cf222e;margin-left:.15rem}.constraints,.note{color:#57606a;font-size:.85em}
.desc p{margin:.2rem 0}.type{font-style:italic}table.props{margin:.25rem 0}
`;

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

interface Op {
  method: string;
  path: string;
  op: JsonSchema;
}

export function renderDocs(doc: JsonSchema): string {
  const info = obj(doc.info);
  const components = obj(doc.components);
  const ops: Op[] = Object.entries(obj(doc.paths)).flatMap(([path, item]) =>
    Object.entries(obj(item))
      .filter(([m]) => METHODS.includes(m))
      .map(([method, op]) => ({ method, path, op: obj(op) })),
  );
  const tags = arr(doc.tags).map(obj);
  const schemas = Object.entries(obj(components.schemas));
  const problemTypes = arr(doc['x-problem-types']).map(obj);
  const title = str(info.title) ?? 'API';
  return `<!doctype html>${h`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title} API reference</title><style>${new Safe(STYLE)}</style></head><body><main>
<h1>${title} API reference</h1><p>Version ${str(info.version)} · OpenAPI ${str(doc.openapi)} · <a href="/openapi.json">openapi.json</a></p>
${markdown(str(info.description))}
<h2 id="contents">Contents</h2><nav>${tags.map((t) => h`<strong>${str(t.name)}</strong><ul>${ops.filter((o) => arr(o.op.tags).includes(t.name)).map((o) => h`<li><a href="#${opAnchor(o)}">${o.method.toUpperCase()} ${o.path}</a></li>`)}</ul>`)}
<strong>Reference</strong><ul><li><a href="#webhooks">Notices to the portal</a></li><li><a href="#security">Security schemes</a></li><li><a href="#schemas">Schemas</a></li><li><a href="#problems">Problem types</a></li></ul></nav>
${tags.map((t) => h`<h2 id="${anchor('tag', str(t.name) ?? '')}">${str(t.name)}</h2>${markdown(str(t.description))}${ops.filter((o) => arr(o.op.tags).includes(t.name)).map(operationHtml)}`)}
<h2 id="webhooks">Notices to the portal (webhooks)</h2><p>Calls the worker makes to the portal, which implements them at <code>PORTAL_WEBHOOK_URL</code>.</p>
${Object.entries(obj(doc.webhooks)).map(([name, item]) => webhookHtml(name, obj(obj(item).post)))}
<h2 id="security">Security schemes</h2>${Object.entries(obj(components.securitySchemes)).map(([name, s]) => h`<h3 id="${anchor('security', name)}">${name}</h3>${markdown(str(obj(s).description))}`)}
<h2 id="schemas">Schemas</h2>${schemas.map(([name, s]) => h`<section id="${anchor('schema', name)}"><h3>${name}</h3>${schemaHtml(obj(s))}</section>`)}
<h2 id="problems">Problem types</h2><p>Every API error is <code>application/problem+json</code> (RFC 9457) with <code>type</code>, <code>title</code>, <code>status</code>, <code>detail</code>; <code>type</code> links here.</p>
${problemTypes.map((p) => h`<section id="problem-${str(p.slug)}"><h3>${str(p.title)} <small>(${String(p.status)}, <code>/docs#problem-${str(p.slug)}</code>)</small></h3>${markdown(str(p.description))}</section>`)}
</main></body></html>`}`;
}

const opAnchor = (o: Op) => anchor('op', str(o.op.operationId) ?? `${o.method}-${o.path}`);

function operationHtml(o: Op): Safe {
  const op = o.op;
  const params = arr(op.parameters).map(obj);
  const body = obj(op.requestBody);
  const security = arr(op.security).flatMap((s) => Object.keys(obj(s)));
  return h`<section class="op" id="${opAnchor(o)}"><h3><span class="method ${o.method}">${o.method}</span> <code>${o.path}</code></h3>
<p><strong>${str(op.summary)}</strong></p>${markdown(str(op.description))}
<p>Authentication: ${security.length ? security.map((s, i) => h`${i ? ', ' : ''}<a href="#${anchor('security', s)}">${s}</a>`) : 'none'}</p>
${
  params.length
    ? h`<h4>Parameters</h4><table><thead><tr><th>name</th><th>in</th><th>schema</th><th>description</th></tr></thead><tbody>${params.map(
        (p) =>
          h`<tr><td><code>${str(p.name)}</code>${p.required ? h`<span class="req" title="required">*</span>` : ''}</td><td>${str(p.in)}</td><td>${schemaHtml(obj(p.schema))}</td><td>${markdown(str(p.description))}</td></tr>`,
      )}</tbody></table>`
    : ''
}
${op.requestBody ? h`<h4>Request body${body.required ? '' : ' (optional)'}</h4>${markdown(str(body.description))}${contentHtml(obj(body.content))}` : ''}
<h4>Responses</h4><table><thead><tr><th>status</th><th>description</th><th>body</th></tr></thead><tbody>${Object.entries(
    obj(op.responses),
  ).map(
    ([status, r]) =>
      h`<tr><td><strong>${status}</strong></td><td>${markdown(str(obj(r).description))}${headersHtml(obj(obj(r).headers))}</td><td>${contentHtml(obj(obj(r).content))}</td></tr>`,
  )}</tbody></table></section>`;
}

function webhookHtml(name: string, op: JsonSchema): Safe {
  return h`<section class="op" id="${anchor('webhook', name)}"><h3><span class="method post">post</span> <code>${name}</code></h3>
<p><strong>${str(op.summary)}</strong></p>${markdown(str(op.description))}
<h4>Body</h4>${contentHtml(obj(obj(op.requestBody).content))}
<h4>Answers</h4><table><tbody>${Object.entries(obj(op.responses)).map(([status, r]) => h`<tr><td><strong>${status}</strong></td><td>${markdown(str(obj(r).description))}</td></tr>`)}</tbody></table></section>`;
}

function contentHtml(content: JsonSchema): Safe {
  return h`${Object.entries(content).map(([type, media]) => h`<div><code>${type}</code>: ${schemaHtml(obj(obj(media).schema))}</div>`)}`;
}

function headersHtml(headers: JsonSchema): Safe {
  return h`${Object.entries(headers).map(([name, x]) => h`<div class="note">Header <code>${name}</code>: ${str(obj(x).description)}</div>`)}`;
}
