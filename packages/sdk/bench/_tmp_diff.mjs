import * as esbuild from "esbuild"
const b = async (f) => { const r = await esbuild.build({ entryPoints: [f], bundle: true, minify: true, format: "esm", platform: "node", write: false, metafile: true, logLevel: "error" }); return [Object.values(r.metafile.outputs)[0].inputs, r.metafile.inputs] }
const [hand] = await b("bench/bundle/hand-agents.ts"); const [sdk, ins] = await b("bench/bundle/sdk-agents.ts")
const extra = Object.entries(sdk).filter(([p]) => !(p in hand)).sort((a,c)=>c[1].bytesInOutput-a[1].bytesInOutput)
let sum = 0; for (const [p,i] of extra) { sum += i.bytesInOutput; console.log(i.bytesInOutput, p.replace(/.*node_modules\//, ""), "<-", Object.entries(ins).filter(([q, v]) => v.imports.some(im => im.path === p)).map(([q]) => q.replace(/.*node_modules\//, "")).slice(0,3).join(", ")) }
console.log("total extra", sum)
