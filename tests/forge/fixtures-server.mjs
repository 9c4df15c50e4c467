// octokit's fixtures server on 127.0.0.1 only, replaying the scripted
// scenarios of a directory (<name>.json: nock definitions, in order).
// usage: node fixtures-server.mjs <scenario dir> <port file>
import express from "express";
import fixturesServer from "@octokit/fixtures-server";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";

const [dir, portFile] = process.argv.slice(2);
const fixtures = {};
for (const f of readdirSync(dir))
  if (f.endsWith(".json"))
    fixtures[f.slice(0, -5)] = JSON.parse(readFileSync(`${dir}/${f}`, "utf8"));

const app = express();
const server = app.listen(0, "127.0.0.1", () => {
  const port = server.address().port;
  app.use(
    fixturesServer({
      fixturesUrl: `http://127.0.0.1:${port}`,
      logLevel: "error",
      ttl: 600000,
      fixtures,
    }),
  );
  writeFileSync(portFile, String(port));
});
