/** Import rules: undefined names, undeclared third-party imports, moved Airflow paths, base imports per version. */
import type { Analysis } from "../analysis.js";
import { BASE_IMPORTS, airflow2Fallback, movedModule, targetsAirflow3 } from "../airflow-paths.js";
import { classifyImport } from "../dependencies.js";
import type { ImportFact } from "../facts.js";
import { undefinedNames } from "../scope.js";
import { isStdlibModule } from "../stdlib.js";
import type { Hit, Rule } from "./rule.js";
import { hitAt } from "./rule.js";

/** Names a missing import can be added for mechanically: the statement to add. */
export const KNOWN_IMPORTS: Record<string, string> = {
  os: "import os",
  sys: "import sys",
  json: "import json",
  time: "import time",
  re: "import re",
  math: "import math",
  random: "import random",
  logging: "import logging",
  subprocess: "import subprocess",
  tempfile: "import tempfile",
  shutil: "import shutil",
  uuid: "import uuid",
  hashlib: "import hashlib",
  base64: "import base64",
  csv: "import csv",
  io: "import io",
  gzip: "import gzip",
  glob: "import glob",
  itertools: "import itertools",
  functools: "import functools",
  collections: "import collections",
  copy: "import copy",
  warnings: "import warnings",
  textwrap: "import textwrap",
  urllib: "import urllib.parse",
  socket: "import socket",
  threading: "import threading",
  asyncio: "import asyncio",
  datetime: "import datetime",
  pathlib: "import pathlib",
  Path: "from pathlib import Path",
  timedelta: "from datetime import timedelta",
  timezone: "from datetime import timezone",
  dataclass: "from dataclasses import dataclass",
  field: "from dataclasses import field",
  Enum: "from enum import Enum",
  partial: "from functools import partial",
  cached_property: "from functools import cached_property",
  defaultdict: "from collections import defaultdict",
  OrderedDict: "from collections import OrderedDict",
  Any: "from typing import Any",
  Optional: "from typing import Optional",
  Union: "from typing import Union",
  Dict: "from typing import Dict",
  List: "from typing import List",
  Tuple: "from typing import Tuple",
  Set: "from typing import Set",
  Callable: "from typing import Callable",
  Iterable: "from typing import Iterable",
  Sequence: "from typing import Sequence",
  Mapping: "from typing import Mapping",
  TYPE_CHECKING: "from typing import TYPE_CHECKING",
  cast: "from typing import cast",
};

function undefinedName(a: Analysis): Hit[] {
  if (!a.parsed) return [];
  const seen = new Set<string>();
  const hits: Hit[] = [];
  for (const use of undefinedNames(a.scopes(), a.source)) {
    if (seen.has(use.name)) continue;
    seen.add(use.name);
    const fix = KNOWN_IMPORTS[use.name];
    hits.push(
      hitAt(
        a,
        use.node,
        fix
          ? `name '${use.name}' is used but never imported (NameError at run time, ruff F821); add \`${fix}\``
          : `name '${use.name}' is used but never defined, imported or built in (NameError at run time, ruff F821); define or import it`,
        { fixable: fix !== undefined },
      ),
    );
  }
  return hits;
}

/** Namespace packages whose distribution is named by the next segment (`from google import auth` → google-auth). */
const NAMESPACE_PACKAGES = new Set(["google", "azure", "google.cloud"]);

function topModules(imp: ImportFact): string[] {
  if (imp.kind === "future" || imp.level > 0) return [];
  if (imp.kind === "from") return NAMESPACE_PACKAGES.has(imp.module) ? imp.names.map((n) => `${imp.module}.${n.name}`) : [imp.module];
  return imp.names.map((n) => n.name);
}

/** What a test run has installed besides the component's own dependencies. */
const TEST_TOOLS = new Set(["pytest", "_pytest", "pytest_mock", "requests_mock", "responses", "freezegun", "time_machine", "moto"]);

function undeclaredImport(a: Analysis): Hit[] {
  const hits: Hit[] = [];
  const deps = a.options.dependencies;
  const reported = new Set<string>();
  for (const imp of a.facts?.imports ?? []) {
    for (const module of topModules(imp)) {
      const top = module.split(".")[0] ?? module;
      if (a.options.localModules?.includes(top)) continue;
      if (a.options.kind === "test" && TEST_TOOLS.has(top)) continue;
      const verdict = classifyImport(module, isStdlibModule(module), deps);
      if (verdict.status !== "undeclared") continue;
      const key = verdict.candidates[0] ?? top;
      if (reported.has(key)) continue;
      reported.add(key);
      const dist = verdict.candidates[0] ?? top;
      if (!deps) {
        hits.push(
          hitAt(a, imp.node, `third-party import '${module}' is neither stdlib nor Airflow; declare its distribution ('${dist}') in the spec's dependencies so CI installs it`, {
            severity: "warning",
          }),
        );
        continue;
      }
      // Typing stubs, optional imports and other providers (optional cross-provider features) only warn.
      const soft = imp.guarded || imp.typeChecking || !imp.moduleLevel || /^(mypy_boto3_|types_)/.test(top) || module.startsWith("airflow.providers.");
      hits.push(
        hitAt(
          a,
          imp.node,
          `import '${module}' is not stdlib, not Airflow and not in the spec's dependencies (ModuleNotFoundError in CI); add '${dist}' to dependencies or use the stdlib`,
          soft ? { severity: "warning" } : {},
        ),
      );
    }
  }
  return hits;
}

function deprecatedImport(a: Analysis): Hit[] {
  const hits: Hit[] = [];
  const v3 = targetsAirflow3(a.options.airflowVersion);
  for (const imp of a.facts?.imports ?? []) {
    for (const module of topModules(imp)) {
      if (module === "airflow.utils.decorators") continue;
      const moved = movedModule(module);
      if (moved) {
        if (!moved.removedIn3 && a.options.airflowVersion !== "3") continue;
        const target = a.options.airflowVersion === "3" ? moved.to3 : moved.to2;
        const renames = moved.renames && Object.keys(moved.renames).length > 0 ? ` (${Object.entries(moved.renames).map(([o, n]) => `${o} is now ${n}`).join(", ")})` : "";
        const where = moved.to2 === moved.to3 ? `\`${moved.to2}\`` : `\`${moved.to2}\` on Airflow 2, \`${moved.to3}\` on Airflow 3`;
        const severity = moved.removedIn3 && v3 && !imp.guarded ? "error" : "warning";
        hits.push(
          hitAt(a, imp.node, `\`${module}\` is ${moved.removedIn3 ? "deprecated and removed in Airflow 3" : "deprecated on Airflow 3"}; import from ${where}${renames}`, {
            severity,
            fixable: imp.kind === "from" && /^[\w.]+$/.test(target),
          }),
        );
        continue;
      }
      if (module === "airflow.contrib" || module.startsWith("airflow.contrib.")) {
        hits.push(
          hitAt(a, imp.node, `\`${module}\` is the Airflow 1.10 contrib path, removed in Airflow 3; import the class from its provider package (\`airflow.providers.<name>...\`)`, {
            severity: v3 && !imp.guarded ? "error" : "warning",
            fixable: false,
          }),
        );
      }
    }
  }
  return hits;
}

/** `from <2.x path> import BaseOperator` with nothing to fall back on, when Airflow 3 is a target. */
function airflow2BaseImport(a: Analysis): Hit[] {
  if (!targetsAirflow3(a.options.airflowVersion)) return [];
  const hits: Hit[] = [];
  for (const imp of a.facts?.imports ?? []) {
    if (imp.kind !== "from" || imp.guarded || imp.conditional || imp.typeChecking) continue;
    for (const n of imp.names) {
      const base = BASE_IMPORTS[n.name];
      if (!base || !base.v2.includes(imp.module)) continue;
      if (n.name === "BaseHook") continue; // airflow.hooks.base is still the path on Airflow 3.0
      const both = a.options.airflowVersion === "both";
      hits.push(
        hitAt(
          a,
          n.node,
          both
            ? `\`from ${imp.module} import ${n.name}\` is the Airflow 2.x path (a deprecated alias on 3); for both versions use \`try: from airflow.sdk import ${n.name}\` / \`except ImportError: from ${imp.module} import ${n.name}\``
            : `\`from ${imp.module} import ${n.name}\` is the Airflow 2.x path (a deprecated alias on 3); on Airflow 3 use \`from airflow.sdk import ${n.name}\``,
          { severity: "warning" },
        ),
      );
    }
  }
  return hits;
}

/** `from airflow.sdk import …` with no fallback breaks on Airflow 2 (the Task SDK does not exist there). */
function sdkImportOn2(a: Analysis): Hit[] {
  if (a.options.airflowVersion === "3") return [];
  const hits: Hit[] = [];
  for (const imp of a.facts?.imports ?? []) {
    if (imp.guarded || imp.conditional || imp.typeChecking || !imp.moduleLevel) continue;
    for (const module of topModules(imp)) {
      if (module !== "airflow.sdk" && !module.startsWith("airflow.sdk.")) continue;
      const fallback = module === "airflow.sdk" ? airflow2Fallback(imp) : undefined;
      const hint = fallback
        ? `${a.options.airflowVersion === "2" ? "use" : "fall back to"} \`${fallback.join("; ")}\`${a.options.airflowVersion === "2" ? "" : " in an `except ImportError:` branch"}`
        : "guard it with try/except ImportError and a 2.x fallback";
      hits.push(hitAt(a, imp.node, `\`${module}\` exists only on Airflow 3 (ModuleNotFoundError on 2.x); ${hint}`, { fixable: !!fallback }));
    }
  }
  return hits;
}

export const importRules: Rule[] = [
  {
    id: "undefined-name",
    category: "import",
    severity: "error",
    description: "A name is used but never defined, imported or built in.",
    fixable: true,
    needsCleanTree: true,
    check: undefinedName,
  },
  {
    id: "undeclared-import",
    category: "import",
    severity: "error",
    description: "A third-party import that is neither stdlib, nor Airflow, nor in the spec's dependencies.",
    fixable: false,
    check: undeclaredImport,
  },
  {
    id: "deprecated-import",
    category: "import",
    severity: "error",
    description: "An Airflow import path that moved (airflow.contrib, *_operator modules, base_hook, ...).",
    fixable: true,
    check: deprecatedImport,
  },
  {
    id: "airflow2-base-import",
    category: "import",
    severity: "warning",
    description: "The Airflow 2.x BaseOperator/BaseSensorOperator import used unguarded when targeting Airflow 3.",
    fixable: true,
    check: airflow2BaseImport,
  },
  {
    id: "sdk-import-on-airflow2",
    category: "import",
    severity: "error",
    description: "An unguarded `airflow.sdk` import when Airflow 2 is a target.",
    fixable: true,
    check: sdkImportOn2,
  },
];
