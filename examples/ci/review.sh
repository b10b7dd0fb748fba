#!/usr/bin/env bash
# A pull request's review of a portfolio change: the steps examples/ci/github-actions.yml and .gitlab-ci.yml run.
#
#   examples/ci/review.sh BASE_REF PORTFOLIO [OUT_DIR]
#
# BASE_REF is the revision the change is reviewed against (origin/main), PORTFOLIO the portfolio's path in the
# checkout (the change). Sets up with the README's command (`make setup`) unless LOADMASTER names the loadmaster
# command to run, then: validate PORTFOLIO; review it against BASE_REF into OUT_DIR/review.md (the comment) with
# the placement before and after in OUT_DIR/placement.png; rehearse BASE_REF's portfolio updated to PORTFOLIO in
# moto, whose report ends the comment. Exits 2 on a bad portfolio or revision, 1 when the change is client-breaking
# or the rehearsal failed (review.md is complete either way), 0 otherwise.
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: $0 BASE_REF PORTFOLIO [OUT_DIR]" >&2
  exit 2
fi
base_ref=$1
portfolio=$2
out=${3:-loadmaster-review}

if [[ -z "${LOADMASTER:-}" ]]; then
  make setup >&2
  LOADMASTER=.venv/bin/loadmaster
fi
mkdir -p "$out/base"

$LOADMASTER validate "$portfolio"

status=0
# The marker lets the workflow find its own comment and update it instead of adding another.
echo "<!-- loadmaster-review -->" > "$out/review.md"
$LOADMASTER review --base "$base_ref:$portfolio" --head "$portfolio" --fail-on breaking --plot "$out/placement.png" >> "$out/review.md" || status=$?
if [[ $status -eq 2 ]]; then
  exit 2
fi

# BASE as deployed: its portfolio and, when it has one, its lock file (loadmaster lock), so that the rehearsal
# names HEAD's endpoints as the deploy will.
base_portfolio="$out/base/$(basename "$portfolio")"
git show "$base_ref:$portfolio" > "$base_portfolio"
lock="${portfolio%.*}.lock.json"
if git cat-file -e "$base_ref:$lock" 2>/dev/null; then
  git show "$base_ref:$lock" > "$out/base/$(basename "$lock")"
fi

rehearsal_status=0
rehearsal=$($LOADMASTER rehearse "$base_portfolio" --update-to "$portfolio" 2>&1) || rehearsal_status=$?
{
  echo
  echo "<details><summary>Rehearsal in moto (create BASE, update to HEAD, delete): $([[ $rehearsal_status -eq 0 ]] && echo passed || echo '**failed**')</summary>"
  echo
  echo '```'
  echo "$rehearsal"
  echo '```'
  echo "</details>"
} >> "$out/review.md"

if [[ $rehearsal_status -ne 0 ]]; then
  status=$rehearsal_status
fi
exit "$status"
