#!/usr/bin/env bash
# Runs the test stages and prints how long each took.
#   tools/run-tests.sh              every stage (what `make test` runs)
#   tools/run-tests.sh STAGE [ARG]  one stage; `molecule NAME` runs one scenario
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH" ANSIBLE_CONFIG="$PWD/ansible.cfg" PY_COLORS=0 ANSIBLE_FORCE_COLOR=0
export ANSIBLE_COLLECTIONS_PATH="$PWD/.cache/collections"
mkdir -p .cache/logs
passed=0 failed=0 failures=()

stage() {  # stage NAME COMMAND...: runs one stage, records its result and time
  local name=$1 start rc
  shift
  start=$(date +%s)
  echo "=== $name"
  "$@"
  rc=$?
  echo "=== $name: $([ $rc -eq 0 ] && echo ok || echo FAILED) in $(( $(date +%s) - start ))s"
  if [ $rc -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$name"); fi
}

lint() {
  # ansible-lint installs the collection under ANSIBLE_HOME and puts it first on the collection
  # path: a private one per checkout, so a copy left in ~/.ansible by another checkout is never linted.
  yamllint -s . && ANSIBLE_HOME="$PWD/.cache/ansible-home" ansible-lint -q --profile production
}

sanity() {
  # ansible-test wants the collection under .../ansible_collections/<ns>/<name>; test a copy
  # of the files git would ship (tracked and not ignored).
  local root=.cache/sanity/ansible_collections/pacsops/server
  # ansible-test bootstraps pip in each sanity venv with a script from a host we cannot reach.
  local pip_version get_pip
  pip_version=$(python - <<'PY'
import re, pathlib, ansible_test
text = pathlib.Path(ansible_test.__file__).parent.joinpath("_internal/python_requirements.py").read_text()
print(re.search(r"pip='([0-9.]+)'", text).group(1))
PY
)
  get_pip=~/.ansible/test/cache/get_pip_${pip_version//./_}.py
  [ -f "$get_pip" ] || install -D -m 0644 tools/get-pip-offline.py "$get_pip"
  rm -rf .cache/sanity && mkdir -p "$root"
  # The import and validate-modules tests load our modules' dependencies (amazon.aws, ...).
  local bundled
  bundled=$(python -c 'import ansible_collections; print(list(ansible_collections.__path__)[-1])')
  for ns in amazon community ansible; do
    ln -sfn "$bundled/$ns" ".cache/sanity/ansible_collections/$ns"
  done
  git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$root" 2>/dev/null
  (cd "$root" && git init -q && git add -A && ansible-test sanity --venv --python 3.11 \
    --exclude molecule/ --exclude tools/ --exclude .ci/ --exclude .config/)
}

build() {
  # The collection builds, holds only the collection (tools/check-tarball.py, members in
  # .cache/build/members.txt), installs from its tarball, and its modules' docs render.
  local out=$PWD/.cache/build
  rm -rf "$out" && mkdir -p "$out/collections"
  ansible-galaxy collection build --force --output-path "$out" >/dev/null \
    && { python tools/check-tarball.py "$out"/pacsops-server-*.tar.gz >"$out/members.txt" \
      || { grep '^UNEXPECTED' "$out/members.txt" >&2; false; }; } \
    && tail -1 "$out/members.txt" \
    && ansible-galaxy collection install --force --offline --no-deps -p "$out/collections" "$out"/pacsops-server-*.tar.gz >/dev/null \
    && for module in $(ls plugins/modules | sed -n 's/\.py$//p'); do
      ANSIBLE_COLLECTIONS_PATH="$out/collections" ansible-doc --json -t module "pacsops.server.$module" 2>/dev/null \
        | python -c 'import json, sys; doc = json.load(sys.stdin).popitem()[1]["doc"]; assert doc["options"] and doc["short_description"]' \
        || { echo "ansible-doc pacsops.server.$module does not render" >&2; return 1; }
    done \
    && echo "built and installed $(ls "$out"/pacsops-server-*.tar.gz); docs render for: $(ls plugins/modules | tr '\n' ' ')"
}

unit() {
  # Modules import their module_utils as ansible_collections.pacsops.server.*
  PYTHONPATH="$PWD/.cache/collections" pytest -q -p no:cacheprovider tests/unit
}

docs() {
  # Role READMEs' variable tables and the example inventory match meta/argument_specs.yml, and
  # argument_specs defaults match defaults/main.yml (tools/gen-role-docs.py rewrites them).
  python tools/gen-role-docs.py --check
}

ee() {
  # The execution environment: requirements.yml agrees with galaxy.yml and the pinned bundle;
  # `ansible-builder create` makes a build context from execution-environment.yml (never a build:
  # no registry here); ansible-builder's introspection finds meta/ee-*.txt in the installed tarball.
  local out=.cache/ee
  rm -rf "$out" && mkdir -p "$out/collection" "$out/installed"
  python tools/check-ee.py deps \
    && ansible-galaxy collection build --force --output-path "$out/collection" >/dev/null \
    && ansible-builder create -f execution-environment.yml -c "$out/context" --output-filename Containerfile >/dev/null \
    && python tools/check-ee.py context "$out/context" \
    && ansible-galaxy collection install --force --offline --no-deps -p "$out/installed" "$out"/collection/pacsops-server-*.tar.gz >/dev/null 2>&1 \
    && ansible-builder introspect --sanitize "$out/installed" >"$out/introspect.yml" \
    && python tools/check-ee.py introspect "$out/introspect.yml"
}

docsite() {
  # Collection docs: antsibull-docs lints modules, plugins and role argument_specs, then builds the
  # HTML docsite (.cache/docsite/build/html). Offline, Sphinx cannot fetch the Ansible docs'
  # intersphinx inventories, so references into docs.ansible.com stay unresolved: those warnings
  # are allowed, every other warning fails the stage.
  local site=.cache/docsite
  antsibull-docs lint-collection-docs --plugin-docs --validate-collection-refs self \
    .cache/collections/ansible_collections/pacsops/server || return 1
  rm -rf "$site" && mkdir -p "$site" && chmod 0755 "$site"
  antsibull-docs sphinx-init --use-current --squash-hierarchy --dest-dir "$site" pacsops.server >/dev/null || return 1
  (
    cd "$site" && mkdir -p rst && chmod og-w rst \
      && antsibull-docs --config-file antsibull-docs.cfg collection --cleanup everything --use-current \
        --squash-hierarchy --dest-dir rst pacsops.server >/dev/null \
      && sphinx-build -q -b html rst build/html -c . -w warnings.txt 2>/dev/null
  ) || { cat "$site/warnings.txt" >&2; return 1; }
  local unexpected
  unexpected=$(grep 'WARNING' "$site/warnings.txt" \
    | grep -v -e 'failed to reach any of the inventories' \
      -e "undefined label: '[a-z_]*' \[ref.ref\]" \
      -e "undefined label: 'ansible_collections\.\(ansible\|community\|amazon\)\.[a-z_.]*' \[ref.ref\]" \
      -e "'envvar' reference target not found: ANSIBLE_[A-Z_]* \[ref.envvar\]")
  [ -z "$unexpected" ] || { echo "docsite warnings: $unexpected" >&2; return 1; }
  echo "docsite: $(ls "$site"/build/html/*.html | wc -l) pages in $site/build/html ($(grep -c WARNING "$site/warnings.txt") warnings, all unresolved links into docs.ansible.com)"
}

bootstrap() {
  # Two bootstraps in a row, the first starting a (fake) daemon: the second must not hang (issue 13).
  tools/test-bootstrap-twice.sh
}

molecule_one() {
  local scenario=$1
  # Molecule (ansible-compat) installs the collection into $ANSIBLE_HOME/collections before each
  # run and puts it first on the collection path. A private ANSIBLE_HOME per scenario keeps two
  # scenarios started together from installing over each other (seen: FileNotFoundError in
  # ansible-galaxy), and another checkout's scenarios from testing this checkout's copy.
  ANSIBLE_HOME="$PWD/.cache/ansible-home/molecule-$scenario" \
    molecule test -s "$scenario" >".cache/logs/molecule-$scenario.log" 2>&1
  local rc=$?
  [ $rc -eq 0 ] || tail -60 ".cache/logs/molecule-$scenario.log"
  return $rc
}

integration() {
  # Tests that run on the controller against local peers (moto for AWS).
  pytest -q -p no:cacheprovider tests/integration
}

molecule_all() {
  # Scenarios run PACSOPS_MOLECULE_JOBS at a time (default 2): they have their own containers and
  # subnets, and much of their time is spent waiting on package downloads and systemd, so two in
  # parallel finish the suite sooner even on 2 cores. The slowest (by the last recorded time in
  # .cache/logs/durations, else tools/molecule-durations) start first. Each scenario's result and time print when it ends.
  # Extra jobs (`molecule_all integration` in `all`) share the pool: the integration stage uses no
  # container, and in the pool its 5 minutes overlap the scenarios' waits instead of adding to them.
  local jobs=${PACSOPS_MOLECULE_JOBS:-2} s name rc pid extra=" $* "
  local -A names=()
  local order
  order=$(for s in $(ls molecule) "$@"; do
    [ -f "molecule/$s/molecule.yml" ] || [[ $extra == *" $s "* ]] || continue
    # A scenario still being brought up says why in molecule/<name>/NOT-IN-MAKE-TEST; it runs
    # with `make molecule SCENARIO=<name>` but not in `make test` until it has passed here.
    if [ -f "molecule/$s/NOT-IN-MAKE-TEST" ]; then
      echo "=== molecule $s: not in make test: $(head -1 "molecule/$s/NOT-IN-MAKE-TEST")" >&2
      continue
    fi
    echo "$(cat tools/molecule-durations .cache/logs/durations 2>/dev/null \
      | awk -v s="$s" '$1 == s {t = $2} END {print t + 0}') $s"
  done | sort -rn | awk '{print $2}')
  for s in $order; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do reap_one; done
    ( start=$(date +%s)
      if [[ $extra == *" $s "* ]]; then "$s"; else molecule_one "$s"; fi >".cache/logs/stage-$s.out" 2>&1; rc=$?
      echo "$s $(( $(date +%s) - start ))" >>.cache/logs/durations; exit $rc ) &
    names[$!]=$s
    echo "=== $([[ $extra == *" $s "* ]] || echo 'molecule ')$s (started)"
  done
  while [ "$(jobs -rp | wc -l)" -gt 0 ] || [ ${#names[@]} -gt 0 ]; do reap_one || break; done
}

reap_one() {  # waits for one scenario job and records it as a stage
  local pid rc
  wait -n -p pid
  rc=$?
  [ -n "${pid:-}" ] && [ -n "${names[$pid]:-}" ] || return 1
  local s=${names[$pid]}
  unset "names[$pid]"
  cat ".cache/logs/stage-$s.out"
  local label="molecule $s"
  [ -f "molecule/$s/molecule.yml" ] || label=$s
  echo "=== $label: $([ $rc -eq 0 ] && echo ok || echo FAILED) in $(awk -v s="$s" '$1 == s {t = $2} END {print t + 0}' .cache/logs/durations)s"
  if [ $rc -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$label"); fi
}

case "${1:-all}" in
  lint) stage lint lint ;;
  sanity) stage sanity sanity ;;
  build) stage build build ;;
  unit) stage unit unit ;;
  integration) stage integration integration ;;
  bootstrap) stage bootstrap bootstrap ;;
  docs) stage docs docs ;;
  ee) stage ee ee ;;
  docsite) stage docsite docsite ;;
  molecule) if [ -n "${2:-}" ]; then stage "molecule $2" molecule_one "$2"; else molecule_all; fi ;;
  all)
    stage lint lint
    stage bootstrap bootstrap
    stage docs docs
    stage sanity sanity
    stage build build
    stage ee ee
    stage docsite docsite
    stage unit unit
    molecule_all integration
    ;;
  *) echo "unknown stage $1" >&2; exit 2 ;;
esac
why() {  # why STAGE: the lines of a failed scenario's log that say why, repeated here because a CI
  # summary often keeps only the end of the output, where the scenario's own tail is long gone.
  # A scenario's Molecule log, else the output of a job run in the scenarios' pool (integration).
  local log=".cache/logs/stage-$1.out"
  [[ $1 == "molecule "* ]] && log=".cache/logs/molecule-${1#molecule }.log"
  [ -f "$log" ] || return 0
  echo "--- why $1 ($log):"
  grep -E '^(fatal|failed): |FAILED|CRITICAL|^\* \[|^E  ' "$log" | grep -vE '^E +\+ ' | cut -c1-400 | tail -12
}
for f in "${failures[@]}"; do why "$f"; done
[ $failed -eq 0 ] || echo "failed stages: ${failures[*]}"
echo "stages: $passed passed, $failed failed"
[ $failed -eq 0 ]
