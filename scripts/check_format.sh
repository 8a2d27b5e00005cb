#!/usr/bin/env bash
# check_format.sh — every C++ file git tracks follows .clang-format (clang-format 14, Debian 12's).
#
#   scripts/check_format.sh          # list the files that differ; exit 1 if any
#   scripts/check_format.sh --fix    # format them in place
#
# Aligned tables (derivative comments, test rows) are fenced with `// clang-format off` / `on`.
# Run by the test suite as the ctest `clang_format`; scripts/install-deps.sh --test installs it.
set -euo pipefail
cd "$(dirname "$0")/.."

formatter=clang-format-14
command -v "$formatter" >/dev/null || { echo "check_format: $formatter not found (apt-get install clang-format-14)" >&2; exit 1; }

mapfile -t files < <(git ls-files '*.cpp' '*.h')
if [[ "${1:-}" == "--fix" ]]; then
  "$formatter" -i "${files[@]}"
  exit 0
fi
bad=()
for f in "${files[@]}"; do
  "$formatter" --dry-run -Werror "$f" > /dev/null 2>&1 || bad+=("$f")
done
if [[ ${#bad[@]} -gt 0 ]]; then
  echo "check_format: ${#bad[@]} of ${#files[@]} files differ from .clang-format (scripts/check_format.sh --fix):"
  printf '  %s\n' "${bad[@]}"
  exit 1
fi
echo "check_format: all ${#files[@]} C++ files follow .clang-format"
