#!/usr/bin/env node
// Compile contracts/*.sol with solc-js (the exact version pinned in package.json)
// and write rewards/artifacts/<Name>.json.
//
//   node contracts/compile.js           write the artifacts
//   node contracts/compile.js --check   compile and fail if the committed artifacts differ
//
// No compiler download: solc-js ships the compiler as WebAssembly in node_modules,
// and @openzeppelin imports are read from node_modules, so `npm ci` is all it needs.
"use strict";

const fs = require("fs");
const path = require("path");
const solc = require("solc");

const ROOT = path.resolve(__dirname, "..");
const CONTRACTS_DIR = path.join(ROOT, "contracts");
const ARTIFACTS_DIR = path.join(ROOT, "rewards", "artifacts");
const NODE_MODULES = path.join(ROOT, "node_modules");

// The settings are part of every artifact, so a change here shows up in --check.
// runs=10000: claims run thousands of times and deployment once, so optimise for
// call cost rather than code size.
const SETTINGS = {
  evmVersion: "cancun",
  optimizer: { enabled: true, runs: 10000 },
  // The default metadata hash is kept: it is deterministic for identical sources and
  // lets block explorers match the deployed code to these sources.
  metadata: { bytecodeHash: "ipfs" },
};

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    const out = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys(value[key]);
    return out;
  }
  return value;
}

function render(obj) {
  return JSON.stringify(sortKeys(obj), null, 2) + "\n";
}

function findImports(importPath) {
  // Only the npm-installed OpenZeppelin library may be imported; anything else is
  // a typo or a dependency nobody pinned.
  if (!importPath.startsWith("@openzeppelin/")) {
    return { error: `import not allowed (only @openzeppelin/*): ${importPath}` };
  }
  const file = path.join(NODE_MODULES, importPath);
  if (!file.startsWith(NODE_MODULES + path.sep)) return { error: `bad import path: ${importPath}` };
  try {
    return { contents: fs.readFileSync(file, "utf8") };
  } catch (err) {
    return { error: `cannot read ${importPath} (did you run npm ci?): ${err.message}` };
  }
}

function compile() {
  const names = fs
    .readdirSync(CONTRACTS_DIR)
    .filter((f) => f.endsWith(".sol"))
    .sort();
  const sources = {};
  for (const name of names) {
    sources[`contracts/${name}`] = { content: fs.readFileSync(path.join(CONTRACTS_DIR, name), "utf8") };
  }
  const input = {
    language: "Solidity",
    sources,
    settings: {
      ...SETTINGS,
      outputSelection: {
        "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] },
      },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));

  let failed = false;
  for (const diag of output.errors || []) {
    const isError = diag.severity === "error";
    failed = failed || isError;
    process.stderr.write((diag.formattedMessage || diag.message) + "\n");
  }
  if (failed) {
    process.stderr.write("compile.js: compilation failed\n");
    process.exit(1);
  }

  const artifacts = {};
  for (const sourceName of Object.keys(sources)) {
    for (const [contractName, contract] of Object.entries(output.contracts[sourceName] || {})) {
      const bytecode = contract.evm.bytecode.object;
      // Interfaces (no code) are not deployable and get no artifact.
      if (!bytecode) continue;
      artifacts[`${contractName}.json`] = render({
        contractName,
        sourceName,
        abi: contract.abi,
        bytecode: "0x" + bytecode,
        deployedBytecode: "0x" + contract.evm.deployedBytecode.object,
        compiler: { version: solc.version(), settings: SETTINGS },
      });
    }
  }
  return artifacts;
}

function existingArtifacts() {
  if (!fs.existsSync(ARTIFACTS_DIR)) return {};
  const out = {};
  for (const f of fs.readdirSync(ARTIFACTS_DIR).filter((f) => f.endsWith(".json")).sort()) {
    out[f] = fs.readFileSync(path.join(ARTIFACTS_DIR, f), "utf8");
  }
  return out;
}

function main(argv) {
  const check = argv.includes("--check");
  const unknown = argv.filter((a) => a !== "--check");
  if (unknown.length) {
    process.stderr.write(`usage: node contracts/compile.js [--check]\nunknown argument: ${unknown.join(" ")}\n`);
    process.exit(2);
  }

  const fresh = compile();
  const committed = existingArtifacts();

  if (check) {
    const problems = [];
    for (const name of Object.keys(fresh).sort()) {
      if (!(name in committed)) problems.push(`missing: rewards/artifacts/${name}`);
      else if (committed[name] !== fresh[name]) problems.push(`differs: rewards/artifacts/${name}`);
    }
    for (const name of Object.keys(committed).sort()) {
      if (!(name in fresh)) problems.push(`stale (no such contract): rewards/artifacts/${name}`);
    }
    if (problems.length) {
      process.stderr.write(
        "compile.js --check: the committed artifacts do not match contracts/ compiled with " +
          `solc ${solc.version()}:\n  ${problems.join("\n  ")}\n` +
          "Run `node contracts/compile.js` and commit rewards/artifacts/.\n",
      );
      process.exit(1);
    }
    process.stdout.write(`compile.js --check: ${Object.keys(fresh).length} artifacts up to date (solc ${solc.version()})\n`);
    return;
  }

  fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
  for (const name of Object.keys(committed)) {
    if (!(name in fresh)) fs.unlinkSync(path.join(ARTIFACTS_DIR, name));
  }
  for (const [name, text] of Object.entries(fresh)) {
    fs.writeFileSync(path.join(ARTIFACTS_DIR, name), text);
    process.stdout.write(`wrote rewards/artifacts/${name}\n`);
  }
}

main(process.argv.slice(2));
