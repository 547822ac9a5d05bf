// Copies GOV.UK Frontend's built CSS, JavaScript, fonts and images, and uPlot's ES module and CSS
// (the platform health page's charts), from node_modules into the package's static folder
// (git-ignored), where the console serves them. Run after `npm ci` (deploy/local/install.sh does
// both). No bundler: the dist files are used as published.
import { cpSync, mkdirSync, rmSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "node_modules", "govuk-frontend", "dist", "govuk");
const uplot = join(here, "node_modules", "uplot", "dist");
const out = join(here, "src", "notify_admin_console", "static");

for (const [name, folder] of [["govuk-frontend", dist], ["uplot", uplot]]) {
  if (!existsSync(folder)) {
    console.error(`${name} is not installed (${folder} missing): run npm ci first`);
    process.exit(1);
  }
}
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const file of ["govuk-frontend.min.css", "govuk-frontend.min.js"]) {
  cpSync(join(dist, file), join(out, file));
  console.log(`  copied ${file}`);
}
cpSync(join(dist, "assets"), join(out, "assets"), { recursive: true });
console.log("  copied assets (fonts, images, manifest)");
mkdirSync(join(out, "uplot"), { recursive: true });
for (const file of ["uPlot.esm.js", "uPlot.min.css"]) {
  cpSync(join(uplot, file), join(out, "uplot", file));
}
console.log("  copied uplot (uPlot.esm.js, uPlot.min.css)");
